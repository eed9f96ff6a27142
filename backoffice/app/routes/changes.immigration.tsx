import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { changeFormAction, changeFormLoader } from "../../counter/forms/route.server";
import {
  ChangeFormFrame,
  Fieldset,
  HouseholdFields,
  PersonRows,
  TextField,
  useChangeForm,
} from "../../counter/forms/ui";

export const meta: MetaFunction = () => [{ title: "国外からの転入届 | 住民記録システム（窓口）" }];
export const loader = (args: LoaderFunctionArgs) =>
  changeFormLoader("immigration", args, {
    household: { kind: "new" },
    persons: [{ nationality: "JP", relationship: "世帯主" }],
  });
export const action = (args: ActionFunctionArgs) => changeFormAction("immigration", args);

export default function Page() {
  const data = useLoaderData<typeof loader>();
  const [form, fields] = useChangeForm(data, useActionData<typeof action>());
  return (
    <ChangeFormFrame data={data} form={form}>
      <Fieldset legend="届出">
        <TextField meta={fields.movedInOn} label="転入した年月日" type="date" />
        <TextField
          meta={fields.notifiedOn}
          label="届出日"
          type="date"
          hint="14日を過ぎた届出も受け付け、届出期間経過として記録します"
        />
        <TextField meta={fields.previousAddress} label="国外の従前の住所" />
      </Fieldset>
      <HouseholdFields meta={fields.household} address={fields.address} />
      <PersonRows form={form} meta={fields.persons} codes="optional" />
    </ChangeFormFrame>
  );
}
