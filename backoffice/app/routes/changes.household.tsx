import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { HOUSEHOLD_CHANGE_TYPES } from "../../counter/forms/kinds";
import { changeFormAction, changeFormLoader } from "../../counter/forms/route.server";
import {
  ChangeFormFrame,
  Fieldset,
  RelationshipRows,
  SelectField,
  TextField,
  useChangeForm,
} from "../../counter/forms/ui";

export const meta: MetaFunction = () => [{ title: "世帯変更届 | 住民記録システム（窓口）" }];
export const loader = (args: LoaderFunctionArgs) =>
  changeFormLoader("householdChange", args, { type: "changeHead", relationships: [{}] });
export const action = (args: ActionFunctionArgs) => changeFormAction("householdChange", args);

export default function Page() {
  const data = useLoaderData<typeof loader>();
  const [form, fields] = useChangeForm(data, useActionData<typeof action>());
  return (
    <ChangeFormFrame data={data} form={form}>
      <Fieldset legend="届出">
        <SelectField
          meta={fields.type}
          label="世帯変更の種類"
          options={Object.entries(HOUSEHOLD_CHANGE_TYPES).map(([value, label]) => ({ value, label }))}
        />
        <TextField meta={fields.effectiveDate} label="異動日" type="date" />
        <TextField meta={fields.notifiedOn} label="届出日" type="date" />
      </Fieldset>
      <Fieldset legend="世帯">
        <TextField
          meta={fields.householdCode}
          label="世帯の方の住民票コード"
          hint="変更する世帯（世帯合併では、合併して加わる側の世帯）の方のいずれか"
        />
        <TextField
          meta={fields.newHeadCode}
          label="新しい世帯主の住民票コード"
          optional
          hint="世帯主の変更・世帯分離のとき（分離では新しい世帯の世帯主）"
        />
        <TextField
          meta={fields.intoCode}
          label="合併先の世帯の方の住民票コード"
          optional
          hint="世帯合併のとき"
        />
      </Fieldset>
      <RelationshipRows
        form={form}
        meta={fields.relationships}
        legend="新しい続柄"
        hint="世帯主の変更: 残る全員の新しい世帯主との続柄。世帯分離: 一緒に分離する方（新しい世帯主以外）。世帯合併: 加わる世帯の全員。続柄の変更: 変更する方。"
      />
      <Fieldset legend="世帯主が分離する場合（残る世帯）">
        <TextField meta={fields.remainingHeadCode} label="残る世帯の新しい世帯主の住民票コード" optional />
      </Fieldset>
      <RelationshipRows
        form={form}
        meta={fields.remainingRelationships}
        legend="残る世帯の続柄"
        hint="世帯主が分離するとき、残る方（新しい世帯主以外）の続柄"
      />
    </ChangeFormFrame>
  );
}
