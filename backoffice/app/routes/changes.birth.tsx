import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { changeFormAction, changeFormLoader } from "../../counter/forms/route.server";
import {
  ChangeFormFrame,
  Fieldset,
  HouseholdFields,
  PersonFields,
  TextField,
  useChangeForm,
} from "../../counter/forms/ui";

export const meta: MetaFunction = () => [{ title: "出生届 | 住民記録システム（窓口）" }];
export const loader = (args: LoaderFunctionArgs) =>
  changeFormLoader("birth", args, {
    household: { kind: "join" },
    child: { nationality: "JP", relationship: "子" },
  });
export const action = (args: ActionFunctionArgs) => changeFormAction("birth", args);

export default function Page() {
  const data = useLoaderData<typeof loader>();
  const [form, fields] = useChangeForm(data, useActionData<typeof action>());
  return (
    <ChangeFormFrame data={data} form={form}>
      <Fieldset legend="届出">
        <TextField
          meta={fields.notifiedOn}
          label="届出日"
          type="date"
          hint="生まれた日から14日を過ぎた届出も受け付け、届出期間経過として記録します"
        />
      </Fieldset>
      <PersonFields meta={fields.child} legend="生まれた子" codes="none" />
      <HouseholdFields meta={fields.household} address={fields.address} />
    </ChangeFormFrame>
  );
}
