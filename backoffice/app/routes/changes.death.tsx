import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { changeFormAction, changeFormLoader } from "../../counter/forms/route.server";
import { ChangeFormFrame, Fieldset, TextField, useChangeForm } from "../../counter/forms/ui";

export const meta: MetaFunction = () => [{ title: "死亡届 | 住民記録システム（窓口）" }];
export const loader = (args: LoaderFunctionArgs) => changeFormLoader("death", args);
export const action = (args: ActionFunctionArgs) => changeFormAction("death", args);

export default function Page() {
  const data = useLoaderData<typeof loader>();
  const [form, fields] = useChangeForm(data, useActionData<typeof action>());
  return (
    <ChangeFormFrame data={data} form={form}>
      <Fieldset legend="亡くなった方">
        <TextField
          meta={fields.residentCode}
          label="亡くなった方の住民票コード"
          hint="11 桁の半角数字。住民検索で確認できます"
        />
        <TextField meta={fields.diedOn} label="死亡年月日" type="date" />
        <TextField
          meta={fields.notifiedOn}
          label="届出日"
          type="date"
          hint="7日を過ぎた届出も受け付け、届出期間経過として記録します"
        />
      </Fieldset>
      <Fieldset legend="世帯主が亡くなった場合">
        <TextField
          meta={fields.newHeadCode}
          label="新しい世帯主の住民票コード"
          hint="残る方が二人以上のときに指定します（一人なら自動でその方）"
        />
      </Fieldset>
    </ChangeFormFrame>
  );
}
