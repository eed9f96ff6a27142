import {
  type FieldMetadata,
  getFormProps,
  getInputProps,
  getTextareaProps,
  useForm,
} from "@conform-to/react";
import { getZodConstraint, parseWithZod } from "@conform-to/zod";
import { type ActionFunctionArgs, data, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { assertCsrf, forbidden, notFound, requireStaff } from "../../auth/session.server";
import { certificateContext } from "../../certificates/certificates.server";
import {
  CertificateRefusedError,
  certificateRequestView,
  previewCertificate,
} from "../../certificates/issue";
import { ITEM_LABELS } from "../../certificates/labels";
import {
  CERTIFICATE_FEE_YEN,
  type CertificateRequest,
  type CertificateRequestInput,
  certificateRequestSchema,
  REQUESTER_LABELS,
} from "../../certificates/schema";
import { ForbiddenError } from "../../register/authorization";
import { RegisterValidationError } from "../../register/errors";
import { services } from "../../services.server";

export const meta: MetaFunction = () => [{ title: "証明書の交付 | 住民記録システム（窓口）" }];

const ROLES = ["clerk", "supervisor"] as const;

/** 住民票の写し / 除票の写し: choose the form, items and requester; the POST answers with the PDF. */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const office = services(context);
  const staff = await requireStaff(office, request, { roles: ROLES });
  const view = await certificateRequestView(certificateContext(office, staff), params.residentId ?? "");
  if (!view) throw notFound("この住民の記録は見つかりませんでした（他の市区町村の記録は表示できません）。");
  return { view, csrf: staff.csrfToken, fee: CERTIFICATE_FEE_YEN };
}

/**
 * Step 1 (確認): the request is checked exactly as the issuance will check it, and the page shows
 * what will be printed. The PDF itself comes from the resource route certificates.$residentId.pdf
 * (step 2): a page route's action cannot answer a browser's POST with a download (Remix renders
 * whatever it returns into the page).
 */
export async function action({ request, params, context }: ActionFunctionArgs) {
  const office = services(context);
  const staff = await requireStaff(office, request, { roles: ROLES });
  const formData = await request.formData();
  assertCsrf(staff, formData);
  const submission = parseWithZod(formData, { schema: certificateRequestSchema });
  const headers = { "Cache-Control": "no-store" };
  if (submission.status !== "success") {
    return data({ reply: submission.reply(), preview: null }, { status: 400, headers });
  }
  try {
    const preview = await previewCertificate(certificateContext(office, staff), {
      residentId: params.residentId ?? "",
      ...submission.value,
    });
    return data({ reply: submission.reply(), preview, request: submission.value }, { headers });
  } catch (err) {
    if (err instanceof RegisterValidationError) {
      const fieldErrors = Object.fromEntries(Object.entries(err.fields).map(([k, v]) => [k, [v]]));
      return data({ reply: submission.reply({ fieldErrors }), preview: null }, { status: 400, headers });
    }
    if (err instanceof CertificateRefusedError) {
      if (err.reason === "notFound") throw notFound(err.message);
      return data(
        { reply: submission.reply({ formErrors: [err.message] }), preview: null },
        { status: 403, headers },
      );
    }
    if (err instanceof ForbiddenError) {
      // Another municipality's record: not revealed (the same 404 as the form page).
      if (err.reason === "municipality") throw notFound("この住民の記録は見つかりませんでした。");
      throw forbidden(err.message);
    }
    throw err;
  }
}

function Errors({ id, errors }: { id: string; errors: string[] | undefined }) {
  if (!errors?.length) return null;
  return (
    <div id={id} className="field-error">
      {errors.map((e) => (
        <p key={e}>{e}</p>
      ))}
    </div>
  );
}

function Checkbox({ meta, label, hint }: { meta: FieldMetadata<boolean>; label: string; hint?: string }) {
  const hintId = `${meta.id}-hint`;
  const describedBy = [hint ? hintId : null, meta.errors?.length ? meta.errorId : null]
    .filter(Boolean)
    .join(" ");
  return (
    <div className="field field--checkbox">
      <input
        {...getInputProps(meta, { type: "checkbox" })}
        aria-describedby={describedBy || undefined}
        aria-invalid={meta.errors?.length ? true : undefined}
      />{" "}
      <label htmlFor={meta.id}>{label}</label>
      {hint ? (
        <p id={hintId} className="hint">
          {hint}
        </p>
      ) : null}
      <Errors id={meta.errorId} errors={meta.errors} />
    </div>
  );
}

export default function CertificateRequestPage() {
  const { view, csrf, fee } = useLoaderData<typeof loader>();
  const answer = useActionData<typeof action>();
  const lastResult = answer?.reply;
  const removed = view.kind === "removedRecordCertificate";
  const [form, fields] = useForm<CertificateRequestInput>({
    id: "certificate-request",
    // biome-ignore lint/suspicious/noExplicitAny: Conform's reply, as returned by the action
    lastResult: lastResult as any,
    defaultValue: { form: removed ? "individual" : "household", requester: { kind: "self" } },
    constraint: getZodConstraint(certificateRequestSchema),
    shouldValidate: "onBlur",
    shouldRevalidate: "onInput",
    onValidate: ({ formData }) => parseWithZod(formData, { schema: certificateRequestSchema }),
  });
  const items = fields.items.getFieldset();
  const requester = fields.requester.getFieldset();
  const others = view.members.filter((m) => !m.isSubject);
  const describe = (meta: { errorId: string; errors?: string[] }, hintId?: string) =>
    [hintId, meta.errors?.length ? meta.errorId : null].filter(Boolean).join(" ") || undefined;

  return (
    <>
      <h1>{view.kindLabel}の交付</h1>
      <dl className="facts">
        <dt>対象者</dt>
        <dd>{view.name}</dd>
        <dt>証明書</dt>
        <dd>{view.kindLabel}</dd>
        <dt>手数料</dt>
        <dd>{fee}円（1通）</dd>
      </dl>
      {view.supportMeasure ? (
        <p className="banner-warning" role="note">
          支援措置の対象者が含まれています。第三者からの請求には交付できません。
        </p>
      ) : null}
      {form.errors?.length ? (
        <div className="error-summary" role="alert" id={form.errorId}>
          <h2>交付できません</h2>
          {form.errors.map((e) => (
            <p key={e}>{e}</p>
          ))}
        </div>
      ) : null}
      {answer?.preview && "request" in answer ? (
        <Confirmation
          residentId={view.residentId}
          csrf={csrf}
          preview={answer.preview}
          request={answer.request}
        />
      ) : null}
      <h2>{answer?.preview ? "請求内容を修正する" : "請求内容"}</h2>
      <Form method="post" {...getFormProps(form)}>
        <input type="hidden" name="csrf" value={csrf} />

        {removed ? (
          <input type="hidden" name={fields.form.name} value="individual" />
        ) : (
          <fieldset aria-describedby={describe(fields.form)}>
            <legend>様式</legend>
            {(
              [
                ["household", "世帯全員"],
                ["individual", "世帯の一部（対象者と、選んだ世帯員）"],
              ] as const
            ).map(([value, label]) => (
              <div className="field field--checkbox" key={value}>
                <input
                  {...getInputProps(fields.form, { type: "radio", value })}
                  id={`${fields.form.id}-${value}`}
                />{" "}
                <label htmlFor={`${fields.form.id}-${value}`}>{label}</label>
              </div>
            ))}
            <Errors id={fields.form.errorId} errors={fields.form.errors} />
          </fieldset>
        )}

        {!removed && others.length > 0 ? (
          <fieldset aria-describedby={describe(fields.memberIds, "members-hint")}>
            <legend>一緒に記載する世帯員（世帯の一部のとき）</legend>
            <p id="members-hint" className="hint">
              選ばなければ対象者だけを記載します。「世帯全員」では全員を記載します。
            </p>
            {others.map((m) => (
              <div className="field field--checkbox" key={m.id}>
                <input
                  type="checkbox"
                  name={fields.memberIds.name}
                  value={m.id}
                  id={`member-${m.id}`}
                  defaultChecked={
                    Array.isArray(fields.memberIds.initialValue) &&
                    fields.memberIds.initialValue.includes(m.id)
                  }
                />{" "}
                <label htmlFor={`member-${m.id}`}>
                  {m.name}（{m.relationship}）
                </label>
              </div>
            ))}
            <Errors id={fields.memberIds.errorId} errors={fields.memberIds.errors} />
          </fieldset>
        ) : null}

        <fieldset>
          <legend>記載する事項（請求があったものだけを記載します）</legend>
          <Checkbox meta={items.householdHead} label={ITEM_LABELS.householdHead} />
          {view.hasJapanese ? <Checkbox meta={items.honseki} label={ITEM_LABELS.honseki} /> : null}
          {view.hasForeigner ? (
            <Checkbox
              meta={items.foreignerItems}
              label={ITEM_LABELS.foreignerItems}
              hint="国籍・地域、在留資格、在留期間、在留カード等の番号など（区分に応じて）"
            />
          ) : null}
          <Checkbox
            meta={items.residentCode}
            label={ITEM_LABELS.residentCode}
            hint="本人または同一世帯の者からの請求に限ります"
          />
          <Checkbox
            meta={items.myNumber}
            label={ITEM_LABELS.myNumber}
            hint="本人または同一世帯の者からの請求に限ります（記載すると参照が記録されます）"
          />
        </fieldset>

        <fieldset aria-describedby={describe(requester.kind)}>
          <legend>請求者</legend>
          {(["self", "household", "thirdParty"] as const).map((value) => (
            <div className="field field--checkbox" key={value}>
              <input
                {...getInputProps(requester.kind, { type: "radio", value })}
                id={`${requester.kind.id}-${value}`}
              />{" "}
              <label htmlFor={`${requester.kind.id}-${value}`}>{REQUESTER_LABELS[value]}</label>
            </div>
          ))}
          <Errors id={requester.kind.errorId} errors={requester.kind.errors} />
          <div className="field">
            <label htmlFor={requester.name.id}>請求者の氏名・名称（第三者のとき必須）</label>
            <input
              {...getInputProps(requester.name, { type: "text" })}
              autoComplete="off"
              aria-describedby={describe(requester.name)}
            />
            <Errors id={requester.name.errorId} errors={requester.name.errors} />
          </div>
          <div className="field">
            <label htmlFor={requester.reason.id}>請求の事由（第三者のとき必須）</label>
            <textarea
              {...getTextareaProps(requester.reason)}
              rows={3}
              cols={50}
              aria-describedby={describe(requester.reason, "reason-hint")}
            />
            <p id="reason-hint" className="hint">
              例: 債権回収のため、相続手続のため（利用目的を具体的に）
            </p>
            <Errors id={requester.reason.errorId} errors={requester.reason.errors} />
          </div>
        </fieldset>

        <p>
          <button type="submit" className={answer?.preview ? "button button--secondary" : "button"}>
            {answer?.preview ? "この内容で確認し直す" : "確認へ進む"}
          </button>
        </p>
      </Form>
      <p>
        <a href="/certificates/verify">発行済みの証明書を照合する</a>
      </p>
    </>
  );
}

type Preview = NonNullable<Awaited<ReturnType<typeof previewCertificate>>>;

/** Hidden fields carrying a checked request to the PDF route, as the form sent them. */
function hiddenFields(request: CertificateRequest): [string, string][] {
  const fields: [string, string][] = [
    ["form", request.form],
    ["requester.kind", request.requester.kind],
  ];
  for (const id of request.memberIds) fields.push(["memberIds", id]);
  for (const [k, v] of Object.entries(request.items)) if (v) fields.push([`items.${k}`, "on"]);
  if (request.requester.name) fields.push(["requester.name", request.requester.name]);
  if (request.requester.reason) fields.push(["requester.reason", request.requester.reason]);
  return fields;
}

/** Step 2: what will be printed, and the button that issues it (a plain POST: the answer is a download). */
function Confirmation({
  residentId,
  csrf,
  preview,
  request,
}: {
  residentId: string;
  csrf: string;
  preview: Preview;
  request: CertificateRequest;
}) {
  return (
    <section aria-labelledby="confirm-title" className="notice">
      <h2 id="confirm-title">発行内容の確認</h2>
      <dl className="facts">
        <dt>証明書</dt>
        <dd>
          {preview.kindLabel}（{preview.formLabel}）
        </dd>
        <dt>記載する人</dt>
        <dd>
          <ul>
            {preview.members.map((m) => (
              <li key={m.id}>
                {m.name}（{m.relationship}）
              </li>
            ))}
          </ul>
        </dd>
        <dt>請求により記載する事項</dt>
        <dd>{preview.printedItems.length > 0 ? preview.printedItems.join("、") : "なし"}</dd>
        <dt>請求者</dt>
        <dd>{preview.requesterLabel}</dd>
        <dt>手数料</dt>
        <dd>{preview.feeYen}円</dd>
      </dl>
      <form method="post" action={`/certificates/${residentId}/pdf`}>
        <input type="hidden" name="csrf" value={csrf} />
        {hiddenFields(request).map(([name, value]) => (
          <input type="hidden" name={name} value={value} key={`${name}=${value}`} />
        ))}
        <button type="submit" className="button">
          {preview.kindLabel}を発行する（PDF をダウンロード）
        </button>
      </form>
    </section>
  );
}
