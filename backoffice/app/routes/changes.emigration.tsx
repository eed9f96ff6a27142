import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { changeFormAction, changeFormLoader } from "../../counter/forms/route.server";
import { ChangeFormFrame, CodeRows, Fieldset, TextField, useChangeForm } from "../../counter/forms/ui";

export const meta: MetaFunction = () => [{ title: "国外転出届 | 住民記録システム（窓口）" }];
export const loader = (args: LoaderFunctionArgs) =>
  changeFormLoader("emigration", args, { residentCodes: [""] });
export const action = (args: ActionFunctionArgs) => changeFormAction("emigration", args);

export default function Page() {
  const data = useLoaderData<typeof loader>();
  const [form, fields] = useChangeForm(data, useActionData<typeof action>());
  return (
    <ChangeFormFrame data={data} form={form}>
      <CodeRows form={form} meta={fields.residentCodes} legend="国外へ転出する方" />
      <Fieldset legend="届出">
        <TextField meta={fields.departedOn} label="国外転出の予定年月日" type="date" />
        <TextField meta={fields.notifiedOn} label="届出日" type="date" />
        <TextField
          meta={fields.destinationAddress}
          label="国外の転出先"
          hint="国名と都市名（例: アメリカ合衆国 シアトル市）"
        />
      </Fieldset>
    </ChangeFormFrame>
  );
}
