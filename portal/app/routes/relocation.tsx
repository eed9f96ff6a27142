import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { applicationFormAction, applicationFormLoader } from "../../applications/form.server";
import { ApplicationFormPage } from "../components/application-form";

export const meta: MetaFunction = () => [{ title: "転居予約 | 引越しワンストップサービス" }];
export const loader = (args: LoaderFunctionArgs) => applicationFormLoader("relocation", args);
export const action = (args: ActionFunctionArgs) => applicationFormAction("relocation", args);
export default function Relocation() {
  return <ApplicationFormPage />;
}
