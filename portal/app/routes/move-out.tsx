import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { applicationFormAction, applicationFormLoader } from "../../applications/form.server";
import { ApplicationFormPage } from "../components/application-form";

export const meta: MetaFunction = () => [{ title: "転出届・転入予約 | 引越しワンストップサービス" }];
export const loader = (args: LoaderFunctionArgs) => applicationFormLoader("moveOut", args);
export const action = (args: ActionFunctionArgs) => applicationFormAction("moveOut", args);
export default function MoveOut() {
  return <ApplicationFormPage />;
}
