import { getFormProps, useForm } from "@conform-to/react";
import { getZodConstraint, parseWithZod } from "@conform-to/zod";
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { assertCsrf, requireStaff } from "../../auth/session.server";
import { PURPOSES, recordSearchSchema, SEARCH_MODES } from "../../counter/record-search.schema";
import { searchRecords } from "../../counter/records.server";
import { services } from "../../services.server";
import { CheckboxField, SelectField, TextField } from "../components/fields";
import { dateJa, SEX_LABELS } from "../components/format";

export const meta: MetaFunction = () => [{ title: "住民検索 | 住民記録システム（窓口）" }];

const STATUS_LABELS: Record<string, string> = {
  active: "記載中",
  moveOutScheduled: "転出予定",
  removed: "除票",
};

export async function loader({ request, context }: LoaderFunctionArgs) {
  const staff = await requireStaff(services(context), request, { roles: ["clerk", "supervisor"] });
  return { csrf: staff.csrfToken };
}

/**
 * 住民検索: by 住民票コード, 個人番号 or the four items, with the purpose (利用目的). A POST with
 * CSRF: neither a name nor a number ever travels in a URL. Each search is audited by the register.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  const office = services(context);
  const staff = await requireStaff(office, request, { roles: ["clerk", "supervisor"] });
  const form = await request.formData();
  assertCsrf(staff, form);
  const submission = parseWithZod(form, { schema: recordSearchSchema });
  if (submission.status !== "success") {
    return { result: submission.reply({ hideFields: ["myNumber"] }), hits: null, total: 0, purpose: null };
  }
  const outcome = await searchRecords(office, staff, submission.value);
  if (outcome.kind === "error") {
    return {
      result: submission.reply({
        fieldErrors: { [outcome.field]: [outcome.message] },
        hideFields: ["myNumber"],
      }),
      hits: null,
      total: 0,
      purpose: null,
    };
  }
  return {
    // The 個人番号 typed is not sent back to the page.
    result: submission.reply({ hideFields: ["myNumber"] }),
    hits: outcome.hits,
    total: outcome.total,
    purpose: submission.value.purpose,
  };
}

export default function Records() {
  const { csrf } = useLoaderData<typeof loader>();
  const data = useActionData<typeof action>();
  const [form, fields] = useForm({
    // biome-ignore lint/suspicious/noExplicitAny: Conform's reply type across the network boundary
    lastResult: data?.result as any,
    constraint: getZodConstraint(recordSearchSchema),
    shouldValidate: "onSubmit",
    shouldRevalidate: "onInput",
    defaultValue: { mode: "fourItems" },
    onValidate: ({ formData }) => parseWithZod(formData, { schema: recordSearchSchema }),
  });
  return (
    <>
      <h1>住民検索</h1>
      <Form method="post" {...getFormProps(form)}>
        <input type="hidden" name="csrf" value={csrf} />
        {form.errors?.length ? (
          <p role="alert" className="field-error">
            {form.errors.join(" ")}
          </p>
        ) : null}
        <SelectField
          meta={fields.purpose}
          label="利用目的"
          hint="検索と閲覧は、この目的とともに記録されます。"
          placeholder="選んでください"
          options={Object.entries(PURPOSES).map(([value, label]) => ({ value, label }))}
        />
        <SelectField
          meta={fields.mode}
          label="検索の方法"
          options={Object.entries(SEARCH_MODES).map(([value, label]) => ({ value, label }))}
        />
        <fieldset>
          <legend>4情報（検索の方法が4情報のとき）</legend>
          <TextField meta={fields.name} label="氏名（漢字またはカナ）" hint="一部だけでも検索できます。" />
          <TextField meta={fields.birthDate} label="生年月日" type="date" />
          <SelectField
            meta={fields.sex}
            label="性別"
            placeholder="指定しない"
            options={[
              { value: "male", label: "男" },
              { value: "female", label: "女" },
            ]}
          />
          <TextField meta={fields.address} label="住所" hint="例: 業平四丁目7番11号、業平4-7-11、建物名" />
        </fieldset>
        <TextField
          meta={fields.residentCode}
          label="住民票コード（11桁）"
          inputMode="numeric"
          hint="検索の方法が住民票コードのとき"
        />
        <TextField
          meta={fields.myNumber}
          label="個人番号（12桁）"
          inputMode="numeric"
          hint="検索の方法が個人番号のとき。個人番号による検索は特に記録されます。"
        />
        <CheckboxField meta={fields.includeRemoved} label="除票も検索する" />
        <button type="submit" className="button">
          検索
        </button>
      </Form>
      {data?.hits ? (
        <section aria-labelledby="results">
          <h2 id="results" role="status">
            検索結果 {data.total}件
            {data.total > data.hits.length ? `（上位${data.hits.length}件を表示）` : ""}
          </h2>
          {data.hits.length === 0 ? <p>該当する方は見つかりませんでした。</p> : null}
          {data.hits.length > 0 ? (
            <table>
              <thead>
                <tr>
                  <th scope="col">氏名</th>
                  <th scope="col">生年月日</th>
                  <th scope="col">性別</th>
                  <th scope="col">住所</th>
                  <th scope="col">状態</th>
                </tr>
              </thead>
              <tbody>
                {data.hits.map((h) => (
                  <tr key={h.id}>
                    <td>
                      <a href={`/records/${h.id}?purpose=${data.purpose}`}>
                        {h.familyName} {h.givenName}
                      </a>
                      <br />
                      <span className="kana">
                        {h.familyKana} {h.givenKana}
                      </span>
                    </td>
                    <td>{dateJa(h.birthDate)}</td>
                    <td>{SEX_LABELS[h.sex] ?? h.sex}</td>
                    <td>{h.addressLine}</td>
                    <td>
                      {STATUS_LABELS[h.status] ?? h.status}
                      {h.removedOn ? `（${dateJa(h.removedOn)}）` : ""}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
        </section>
      ) : null}
    </>
  );
}
