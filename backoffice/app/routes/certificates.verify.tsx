import { getFormProps, getInputProps, useForm } from "@conform-to/react";
import { getZodConstraint, parseWithZod } from "@conform-to/zod";
import { type ActionFunctionArgs, data, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { assertCsrf, requireStaff } from "../../auth/session.server";
import { certificateContext } from "../../certificates/certificates.server";
import { verifyCertificate } from "../../certificates/issue";
import { certificateVerifySchema } from "../../certificates/schema";
import { toWareki } from "../../register/wareki";
import { services } from "../../services.server";

export const meta: MetaFunction = () => [{ title: "証明書の照合 | 住民記録システム（窓口）" }];

const ROLES = ["clerk", "supervisor"] as const;

/**
 * 証明書の照合: a certificate number and its verification code → issued by us with that content,
 * or not. POST only, so that nothing about the certificate travels in a URL.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const staff = await requireStaff(services(context), request, { roles: ROLES });
  return { csrf: staff.csrfToken };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const office = services(context);
  const staff = await requireStaff(office, request, { roles: ROLES });
  const formData = await request.formData();
  assertCsrf(staff, formData);
  const submission = parseWithZod(formData, { schema: certificateVerifySchema });
  const headers = { "Cache-Control": "no-store" };
  if (submission.status !== "success") {
    return data({ reply: submission.reply(), result: null }, { status: 400, headers });
  }
  const result = await verifyCertificate(certificateContext(office, staff), submission.value);
  return data({ reply: submission.reply(), result }, { headers });
}

export default function VerifyCertificate() {
  const { csrf } = useLoaderData<typeof loader>();
  const answer = useActionData<typeof action>();
  const [form, fields] = useForm({
    id: "certificate-verify",
    // biome-ignore lint/suspicious/noExplicitAny: Conform's reply, as returned by the action
    lastResult: answer?.reply as any,
    constraint: getZodConstraint(certificateVerifySchema),
    shouldValidate: "onBlur",
    shouldRevalidate: "onInput",
    onValidate: ({ formData }) => parseWithZod(formData, { schema: certificateVerifySchema }),
  });
  const result = answer?.result ?? null;
  const describedBy = (errorId: string, errors: string[] | undefined, hintId: string) =>
    [hintId, errors?.length ? errorId : null].filter(Boolean).join(" ");

  return (
    <>
      <h1>証明書の照合</h1>
      <p>
        証明書の下に印字された証明書番号と照合番号を入力すると、この市区町村が発行したものかを確認できます。
      </p>
      {result ? (
        <section aria-labelledby="result-title" role="status">
          <h2 id="result-title" className={result.valid ? "status-ok" : "status-bad"}>
            {result.valid ? "有効：この市区町村が発行した証明書です" : "確認できません"}
          </h2>
          {result.valid ? (
            <dl className="facts">
              <dt>証明書番号</dt>
              <dd>{result.certificateNumber}</dd>
              <dt>種類</dt>
              <dd>
                {result.kindLabel}（{result.formLabel}）
              </dd>
              <dt>発行日</dt>
              <dd>{toWareki(result.issuedOn)}</dd>
              <dt>発行者</dt>
              <dd>{result.municipalityName}長</dd>
              <dt>対象者</dt>
              <dd>
                {result.subjectName}（記載 {result.memberCount} 人）
              </dd>
              <dt>請求により記載した事項</dt>
              <dd>{result.printedItems.length > 0 ? result.printedItems.join("、") : "なし"}</dd>
            </dl>
          ) : (
            <p>{result.message}</p>
          )}
        </section>
      ) : null}
      <Form method="post" {...getFormProps(form)}>
        <input type="hidden" name="csrf" value={csrf} />
        <div className="field">
          <label htmlFor={fields.certificateNumber.id}>証明書番号</label>
          <input
            {...getInputProps(fields.certificateNumber, { type: "text" })}
            autoComplete="off"
            inputMode="numeric"
            aria-describedby={describedBy(
              fields.certificateNumber.errorId,
              fields.certificateNumber.errors,
              "number-hint",
            )}
          />
          <p id="number-hint" className="hint">
            例: 131075-00000012
          </p>
          {fields.certificateNumber.errors?.length ? (
            <p id={fields.certificateNumber.errorId} className="field-error">
              {fields.certificateNumber.errors.join(" ")}
            </p>
          ) : null}
        </div>
        <div className="field">
          <label htmlFor={fields.code.id}>照合番号</label>
          <input
            {...getInputProps(fields.code, { type: "text" })}
            autoComplete="off"
            autoCapitalize="characters"
            aria-describedby={describedBy(fields.code.errorId, fields.code.errors, "code-hint")}
          />
          <p id="code-hint" className="hint">
            英数字16文字（例: ABCD-EFGH-JKMN-PQRS）。ハイフンや大文字・小文字は問いません。
          </p>
          {fields.code.errors?.length ? (
            <p id={fields.code.errorId} className="field-error">
              {fields.code.errors.join(" ")}
            </p>
          ) : null}
        </div>
        <p>
          <button type="submit" className="button">
            照合する
          </button>
        </p>
      </Form>
    </>
  );
}
