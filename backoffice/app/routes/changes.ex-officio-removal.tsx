import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { changeFormAction, changeFormLoader } from "../../counter/forms/route.server";
import {
  ChangeFormFrame,
  CodeRows,
  Fieldset,
  TextArea,
  TextField,
  useChangeForm,
} from "../../counter/forms/ui";

export const meta: MetaFunction = () => [{ title: "職権消除 | 住民記録システム（窓口）" }];
export const loader = (args: LoaderFunctionArgs) =>
  changeFormLoader("exOfficioRemoval", args, { residentCodes: [""] });
export const action = (args: ActionFunctionArgs) => changeFormAction("exOfficioRemoval", args);

export default function Page() {
  const data = useLoaderData<typeof loader>();
  const [form, fields] = useChangeForm(data, useActionData<typeof action>());
  return (
    <ChangeFormFrame data={data} form={form}>
      <CodeRows form={form} meta={fields.residentCodes} legend="消除する方（同じ世帯の方）" />
      <Fieldset legend="職権消除">
        <TextField meta={fields.effectiveDate} label="消除の年月日" type="date" />
        <TextArea meta={fields.reason} label="理由" hint="実態調査の結果など、職権で消除する理由" />
        <TextField
          meta={fields.newHeadCode}
          label="新しい世帯主の住民票コード"
          optional
          hint="世帯主を消除し、残る方が二人以上のとき"
        />
      </Fieldset>
    </ChangeFormFrame>
  );
}
