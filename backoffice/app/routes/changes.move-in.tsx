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

export const meta: MetaFunction = () => [{ title: "転入届（転出証明書） | 住民記録システム（窓口）" }];
export const loader = (args: LoaderFunctionArgs) =>
  changeFormLoader("moveIn", args, {
    household: { kind: "new" },
    persons: [{ nationality: "JP", relationship: "世帯主" }],
  });
export const action = (args: ActionFunctionArgs) => changeFormAction("moveIn", args);

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
          hint="転入した日から14日を過ぎた届出も受け付け、届出期間経過として記録します"
        />
      </Fieldset>
      <Fieldset legend="転出証明書の内容" meta={fields.certificate}>
        <TextField
          meta={fields.certificate.getFieldset().fromLgCode}
          label="転出元の地方公共団体コード"
          hint="6 桁（検査数字を含む）"
        />
        <TextField meta={fields.certificate.getFieldset().fromAddress} label="転出元の住所" />
        <TextField
          meta={fields.certificate.getFieldset().plannedMoveOutDate}
          label="転出予定年月日"
          type="date"
        />
      </Fieldset>
      <HouseholdFields meta={fields.household} address={fields.address} />
      <PersonRows form={form} meta={fields.persons} codes="required" />
    </ChangeFormFrame>
  );
}
