import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { changeFormAction, changeFormLoader } from "../../counter/forms/route.server";
import {
  ChangeFormFrame,
  Fieldset,
  HouseholdFields,
  PersonRows,
  TextArea,
  TextField,
  useChangeForm,
} from "../../counter/forms/ui";

export const meta: MetaFunction = () => [{ title: "職権記載 | 住民記録システム（窓口）" }];
export const loader = (args: LoaderFunctionArgs) =>
  changeFormLoader("exOfficioEntry", args, {
    household: { kind: "new" },
    persons: [{ nationality: "JP", relationship: "世帯主" }],
  });
export const action = (args: ActionFunctionArgs) => changeFormAction("exOfficioEntry", args);

export default function Page() {
  const data = useLoaderData<typeof loader>();
  const [form, fields] = useChangeForm(data, useActionData<typeof action>());
  return (
    <ChangeFormFrame data={data} form={form}>
      <Fieldset legend="職権記載">
        <TextField meta={fields.effectiveDate} label="住所を定めた年月日" type="date" />
        <TextArea meta={fields.reason} label="理由" hint="実態調査の結果など、職権で記載する理由" />
        <TextField meta={fields.previousAddress} label="従前の住所" optional />
      </Fieldset>
      <HouseholdFields meta={fields.household} address={fields.address} />
      <PersonRows form={form} meta={fields.persons} codes="optional" />
    </ChangeFormFrame>
  );
}
