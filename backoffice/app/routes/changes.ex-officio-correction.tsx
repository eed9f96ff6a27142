import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { changeFormAction, changeFormLoader } from "../../counter/forms/route.server";
import {
  AddressFields,
  ChangeFormFrame,
  Fieldset,
  SEX_OPTIONS,
  SelectField,
  TextArea,
  TextField,
  useChangeForm,
} from "../../counter/forms/ui";

export const meta: MetaFunction = () => [{ title: "職権修正 | 住民記録システム（窓口）" }];
export const loader = (args: LoaderFunctionArgs) => changeFormLoader("exOfficioCorrection", args);
export const action = (args: ActionFunctionArgs) => changeFormAction("exOfficioCorrection", args);

export default function Page() {
  const data = useLoaderData<typeof loader>();
  const [form, fields] = useChangeForm(data, useActionData<typeof action>());
  return (
    <ChangeFormFrame data={data} form={form}>
      <Fieldset legend="修正する方">
        <TextField meta={fields.residentCode} label="修正する方の住民票コード" />
        <TextField
          meta={fields.effectiveDate}
          label="修正の年月日"
          type="date"
          optional
          hint="空欄なら本日"
        />
        <TextArea meta={fields.reason} label="理由" hint="戸籍照会の結果など、修正の根拠" />
      </Fieldset>
      <Fieldset
        legend="修正後の内容（修正する項目だけ入力。空欄の項目は変わりません）"
        meta={fields.corrections}
      >
        <Fieldset legend="氏名（修正するときは4つとも）">
          <TextField meta={fields.corrections.getFieldset().name.getFieldset().family} label="氏" optional />
          <TextField meta={fields.corrections.getFieldset().name.getFieldset().given} label="名" optional />
          <TextField
            meta={fields.corrections.getFieldset().name.getFieldset().familyKana}
            label="氏のフリガナ"
            optional
          />
          <TextField
            meta={fields.corrections.getFieldset().name.getFieldset().givenKana}
            label="名のフリガナ"
            optional
          />
        </Fieldset>
        <TextField meta={fields.corrections.getFieldset().birthDate} label="生年月日" type="date" optional />
        <SelectField
          meta={fields.corrections.getFieldset().sex}
          label="性別"
          options={SEX_OPTIONS}
          optional
        />
        <TextField
          meta={fields.corrections.getFieldset().relationship}
          label="続柄"
          optional
          list="relationship-options"
        />
        <Fieldset legend="本籍（修正するときは両方）">
          <TextField
            meta={fields.corrections.getFieldset().honseki.getFieldset().address}
            label="本籍"
            optional
          />
          <TextField
            meta={fields.corrections.getFieldset().honseki.getFieldset().headOfFamily}
            label="筆頭者"
            optional
          />
        </Fieldset>
        <TextField meta={fields.corrections.getFieldset().previousAddress} label="従前の住所" optional />
        <AddressFields meta={fields.corrections.getFieldset().address} legend="住所" />
      </Fieldset>
    </ChangeFormFrame>
  );
}
