import { getFormProps, getInputProps, useForm } from "@conform-to/react";
import { getZodConstraint, parseWithZod } from "@conform-to/zod";
import {
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
  redirect,
} from "@remix-run/node";
import { Form, useActionData, useLoaderData, useRevalidator } from "@remix-run/react";
import { useEffect } from "react";
import { assertCsrf, forbidden, notFound, requireStaff } from "../../auth/session.server";
import { completionSchema, completionValues, isLate, retrySchema } from "../../counter/completion.schema";
import {
  completionPage,
  ForbiddenError,
  retryMessage,
  submitCompletion,
} from "../../counter/completion.server";
import { getReservation } from "../../counter/reservations.queries";
import { services } from "../../services.server";
import { FieldErrors, SelectField, TextField } from "../components/fields";
import { dateJa, dateTimeJa, RESERVATION_KIND_LABELS } from "../components/format";

export const meta: MetaFunction = () => [{ title: "異動の確定 | 住民記録システム（窓口）" }];

const MESSAGE_LABELS: Record<string, string> = {
  moveInNotice: "転入通知（転出元へ）",
  annexNotice: "附票通知（本籍地へ）",
  moveOutCertificate: "転出証明書情報",
  moveOutRequest: "転出の依頼",
  moveOutCancel: "転出取消",
};

/**
 * 「転入を確定」 (特例転入 of a 転入予約) and 「転居を確定」 (転居予約): staff confirm address,
 * household, head and relationships, and the move date; the pipeline's completion command runs;
 * then the page follows the outgoing 住基ネット messages until each is acknowledged (refreshing
 * itself with JavaScript, a reload link without), with retry on failure.
 */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const office = services(context);
  const staff = await requireStaff(office, request, { roles: ["clerk", "supervisor"] });
  const data = await completionPage(office, staff, params.id ?? "");
  if (!data) throw notFound("この予約は見つかりませんでした（他の市区町村の予約は表示できません）。");
  const town = office.world.municipalities.find((m) => m.lgCode === staff.lgCode);
  const { certificate: _c, completion: _done, people: _p, ...reservation } = data.reservation;
  return {
    csrf: staff.csrfToken,
    today: office.today(),
    municipality: staff.municipalityName,
    towns: (town?.towns ?? []).map((t) => t.name),
    reservation,
    defaults: data.defaults,
    joinable: data.joinable,
    messages: data.messages.map((m) => ({
      ...m,
      createdAt: m.createdAt.toISOString(),
      acceptedAt: m.acceptedAt?.toISOString() ?? null,
    })),
    completion: data.completion,
  };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const office = services(context);
  const staff = await requireStaff(office, request, { roles: ["clerk", "supervisor"] });
  const form = await request.formData();
  assertCsrf(staff, form);
  const reservation = await getReservation(office.db, staff.lgCode, params.id ?? "");
  if (!reservation) throw notFound("この予約は見つかりませんでした。");
  const here = `/reservations/${reservation.id}/complete`;
  if (form.get("intent") === "retry") {
    const retry = retrySchema.safeParse(Object.fromEntries(form));
    if (!retry.success) return { result: null, retried: "notFound" as const };
    const outcome = await retryMessage(office, staff, retry.data.messageId);
    return { result: null, retried: outcome.kind };
  }
  const submission = parseWithZod(form, { schema: completionSchema });
  if (submission.status !== "success") return { result: submission.reply(), retried: null };
  let outcome: Awaited<ReturnType<typeof submitCompletion>>;
  try {
    outcome = await submitCompletion(office, staff, reservation, completionValues(submission.value));
  } catch (err) {
    if (err instanceof ForbiddenError) throw forbidden(err.message);
    throw err;
  }
  if (outcome.kind === "invalid") {
    return {
      result: submission.reply({
        fieldErrors: outcome.fieldErrors,
        formErrors: outcome.formErrors,
      }),
      retried: null,
    };
  }
  office.logger.info(
    { staffId: staff.staffId, reservationId: reservation.id, late: outcome.late },
    "reservation completed",
  );
  return redirect(here, { headers: { "Cache-Control": "no-store" } });
}

function MessageStatus({
  messages,
  csrf,
  retried,
}: {
  messages: ReturnType<typeof useLoaderData<typeof loader>>["messages"];
  csrf: string;
  retried: string | null | undefined;
}) {
  const revalidator = useRevalidator();
  const pending = messages.some((m) => m.status !== "accepted");
  useEffect(() => {
    if (!pending) return;
    const timer = setInterval(() => {
      if (revalidator.state === "idle") revalidator.revalidate();
    }, 3000);
    return () => clearInterval(timer);
  }, [pending, revalidator]);
  return (
    <section aria-labelledby="messages">
      <h2 id="messages">住基ネットへの送信状況</h2>
      {retried === "queued" ? <p role="status">再送を受け付けました。</p> : null}
      {retried === "alreadyAccepted" ? <p role="status">この通知はすでに受理されています。</p> : null}
      {messages.length === 0 ? (
        <p>この手続きで送信する通知はありません（本人確認情報の更新は自動で送信されます）。</p>
      ) : (
        <>
          <p role="status" aria-live="polite">
            {pending ? "受理を待っている通知があります。" : "すべての通知が受理されました。"}
          </p>
          <table>
            <thead>
              <tr>
                <th scope="col">通知</th>
                <th scope="col">宛先</th>
                <th scope="col">状態</th>
                <th scope="col">送信の試行</th>
                <th scope="col">操作</th>
              </tr>
            </thead>
            <tbody>
              {messages.map((m) => (
                <tr key={m.id}>
                  <td>{MESSAGE_LABELS[m.kind] ?? m.kind}</td>
                  <td>{m.toLgCode}</td>
                  <td>
                    {m.status === "accepted" ? (
                      <span className="status-ok">受理済み（{dateTimeJa(m.acceptedAt)}）</span>
                    ) : m.lastError ? (
                      <span className="status-bad">送信失敗（{m.lastError}）</span>
                    ) : (
                      "送信待ち"
                    )}
                  </td>
                  <td>{m.attempts}回</td>
                  <td>
                    {m.status !== "accepted" && (m.lastError || m.attempts > 0) ? (
                      <Form method="post">
                        <input type="hidden" name="csrf" value={csrf} />
                        <input type="hidden" name="intent" value="retry" />
                        <input type="hidden" name="messageId" value={m.id} />
                        <button type="submit" className="button button--secondary">
                          再送する
                        </button>
                      </Form>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {pending ? (
            <p>
              <a href="?">最新の状態に更新</a>（JavaScript が有効なら数秒ごとに自動で更新します）
            </p>
          ) : null}
        </>
      )}
    </section>
  );
}

export default function Complete() {
  const data = useLoaderData<typeof loader>();
  const acted = useActionData<typeof action>();
  const r = data.reservation;
  const isMoveIn = r.kind === "moveOut";
  const defaults = data.defaults;
  const [form, fields] = useForm({
    // biome-ignore lint/suspicious/noExplicitAny: Conform's reply type across the network boundary
    lastResult: (acted?.result ?? undefined) as any,
    constraint: getZodConstraint(completionSchema),
    shouldValidate: "onSubmit",
    shouldRevalidate: "onInput",
    defaultValue: defaults
      ? {
          ...defaults,
          chome: String(defaults.chome),
          block: String(defaults.block),
          lot: defaults.lot ? String(defaults.lot) : undefined,
          householdId: "",
          people: defaults.people.map((p) => ({
            id: p.id,
            include: "on",
            relationship: p.head ? "" : p.relationship,
          })),
        }
      : undefined,
    onValidate: ({ formData }) => parseWithZod(formData, { schema: completionSchema }),
  });
  const title = isMoveIn ? "転入を確定" : "転居を確定";
  if (r.status !== "waiting" || !defaults) {
    return (
      <>
        <p>
          <a href={`/reservations/${r.id}`}>← 予約の詳細へ戻る</a>
        </p>
        <h1>{RESERVATION_KIND_LABELS[r.kind] ?? r.kind}</h1>
        {r.status === "completed" ? (
          <>
            <p role="status" className="status-ok">
              {isMoveIn ? "転入" : "転居"}を確定しました（{dateTimeJa(r.closedAt)}）。
              {data.completion?.late ? (
                <strong>届出期間経過（14日を過ぎた届出）として記録しました。</strong>
              ) : null}
            </p>
            {data.completion?.people.length ? (
              <section aria-labelledby="people">
                <h2 id="people">{isMoveIn ? "転入した方" : "転居した方"}</h2>
                <p>続けて、マイナンバーカードの継続利用・券面記載事項変更などの手続ができます。</p>
                <ul>
                  {data.completion.people.map((p) => (
                    <li key={p.id}>
                      {p.name}：<a href={`/records/${p.id}?purpose=counter`}>住民票を見る</a>
                      {" ／ "}
                      <a href={`/cards/${p.id}`} aria-label={`${p.name}さんのマイナンバーカードの手続`}>
                        カードの手続
                      </a>
                    </li>
                  ))}
                </ul>
              </section>
            ) : null}
            <MessageStatus messages={data.messages} csrf={data.csrf} retried={acted?.retried} />
          </>
        ) : (
          <p>
            この予約は{r.status === "cancelled" ? "取り消されています" : "期限切れです"}。確定できません。
          </p>
        )}
      </>
    );
  }
  const late = isLate(defaults.movedOn, data.today);
  const people = fields.people.getFieldList();
  const moveOptions = isMoveIn
    ? [
        { value: "new", label: "新しい世帯をつくる" },
        { value: "join", label: "住所地の既存の世帯に加わる" },
      ]
    : [
        { value: "same", label: "世帯全員で転居（世帯はそのまま）" },
        { value: "new", label: "一部の方が新しい世帯をつくる" },
        { value: "join", label: "転居先の既存の世帯に加わる" },
      ];
  return (
    <>
      <p>
        <a href={`/reservations/${r.id}`}>← 予約の詳細へ戻る</a>
      </p>
      <h1>{title}</h1>
      <p>
        {r.receiptNumber ? `受付番号 ${r.receiptNumber}` : `申請ID ${r.applicationId ?? r.id}`}・
        {isMoveIn
          ? `転出予定日 ${dateJa(r.plannedMoveOutDate)}`
          : `転居予定日 ${dateJa(r.plannedMoveOutDate)}`}
      </p>
      {late ? (
        <p className="banner-warning" role="alert">
          {isMoveIn
            ? "転出予定日から14日を過ぎています。実際に転入した日が14日より前なら特例転入はできません（転出証明書（紙）による転入届としてください）。転入した年月日を確認してください。"
            : "転居の日から14日を過ぎています。確定すると届出期間経過として記録されます。"}
        </p>
      ) : null}
      <Form method="post" {...getFormProps(form)}>
        <input type="hidden" name="csrf" value={data.csrf} />
        <input type="hidden" name="intent" value="complete" />
        <input type="hidden" name="kind" value={r.kind} />
        <input {...getInputProps(fields.requestKey, { type: "hidden" })} key={fields.requestKey.key} />
        {form.errors?.length ? (
          <div className="error-summary" role="alert">
            <h2>確定できませんでした</h2>
            <ul>
              {form.errors.map((e) => (
                <li key={e}>{e}</li>
              ))}
            </ul>
          </div>
        ) : null}
        <fieldset>
          <legend>
            {isMoveIn ? "転入先の住所" : "新しい住所"}（{data.municipality}）
          </legend>
          <SelectField
            meta={fields.town}
            label="町名"
            placeholder="選んでください"
            options={data.towns.map((t) => ({ value: t, label: t }))}
          />
          <TextField meta={fields.chome} label="丁目（丁目のない町は 0）" inputMode="numeric" />
          <TextField meta={fields.block} label="番（番地）" inputMode="numeric" />
          <TextField meta={fields.lot} label="号（ない場合は空欄）" inputMode="numeric" />
          <TextField meta={fields.building} label="建物名・部屋番号" />
        </fieldset>
        <fieldset>
          <legend>世帯</legend>
          <SelectField meta={fields.household} label="世帯の扱い" options={moveOptions} />
          {data.joinable.length > 0 ? (
            <SelectField
              meta={fields.householdId}
              label="加わる世帯（「既存の世帯に加わる」とき）"
              placeholder="選んでください"
              options={data.joinable.map((h) => ({
                value: h.householdId,
                label: `世帯主 ${h.headName}（${h.members}人）${h.addressLine}`,
              }))}
            />
          ) : (
            <p className="hint">この住所に既存の世帯はありません。</p>
          )}
          <table>
            <caption>異動する方と世帯主・続柄</caption>
            <thead>
              <tr>
                <th scope="col">氏名</th>
                <th scope="col">生年月日</th>
                <th scope="col">{isMoveIn ? "転入する" : "対象"}</th>
                <th scope="col">世帯主（新しい世帯のとき）</th>
                <th scope="col">世帯主との続柄</th>
              </tr>
            </thead>
            <tbody>
              {people.map((p, i) => {
                const person = defaults.people[i]!;
                const f = p.getFieldset();
                const relId = `${f.relationship.id}`;
                return (
                  <tr key={p.key}>
                    <th scope="row">
                      {person.name}
                      <br />
                      <span className="kana">{person.kana}</span>
                      <input {...getInputProps(f.id, { type: "hidden" })} key={f.id.key} />
                    </th>
                    <td>{dateJa(person.birthDate)}</td>
                    <td>
                      {isMoveIn ? (
                        <input
                          {...getInputProps(f.include, { type: "checkbox" })}
                          key={f.include.key}
                          aria-label={`${person.name}さんが転入する`}
                        />
                      ) : (
                        "転居"
                      )}
                    </td>
                    <td>
                      <input
                        type="radio"
                        name={fields.head.name}
                        value={person.id}
                        defaultChecked={defaults.head === person.id}
                        aria-label={`${person.name}さんを世帯主とする`}
                        aria-describedby={fields.head.errors?.length ? fields.head.errorId : undefined}
                      />
                    </td>
                    <td>
                      <label htmlFor={relId} className="visually-hidden">
                        {person.name}さんの続柄
                      </label>
                      <input
                        {...getInputProps(f.relationship, { type: "text" })}
                        key={f.relationship.key}
                        id={relId}
                        size={8}
                        aria-describedby={f.relationship.errors?.length ? f.relationship.errorId : undefined}
                      />
                      <FieldErrors id={f.relationship.errorId} errors={f.relationship.errors} />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <FieldErrors id={fields.head.errorId} errors={fields.head.errors} />
          <FieldErrors id={fields.people.errorId} errors={fields.people.errors} />
          <p className="hint">
            世帯主の方の続柄は空欄で構いません。既存の世帯に加わるときは、その世帯の世帯主との続柄を入力してください。
          </p>
        </fieldset>
        <TextField meta={fields.movedOn} label={isMoveIn ? "転入した年月日" : "転居した年月日"} type="date" />
        <button type="submit" className="button">
          {title}する
        </button>
      </Form>
    </>
  );
}
