import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { changeFormAction, changeFormLoader } from "../../counter/forms/route.server";
import { ChangeFormFrame, Fieldset, TextArea, TextField, useChangeForm } from "../../counter/forms/ui";

export const meta: MetaFunction = () => [{ title: "異動取消 | 住民記録システム（窓口）" }];
export const loader = (args: LoaderFunctionArgs) => changeFormLoader("changeCancellation", args);
export const action = (args: ActionFunctionArgs) => changeFormAction("changeCancellation", args);

export default function Page() {
  const data = useLoaderData<typeof loader>();
  const [form, fields] = useChangeForm(data, useActionData<typeof action>());
  return (
    <ChangeFormFrame data={data} form={form}>
      <Fieldset legend="取り消す異動">
        <TextField
          meta={fields.residentCode}
          label="対象の方の住民票コード"
          hint="この方の最新の異動（同時に届け出た方の分も含む）を取り消します"
        />
        <TextArea meta={fields.reason} label="理由" hint="誤って入力した内容など" />
        <TextField
          meta={fields.effectiveDate}
          label="取消の年月日"
          type="date"
          optional
          hint="空欄なら本日"
        />
      </Fieldset>
    </ChangeFormFrame>
  );
}
