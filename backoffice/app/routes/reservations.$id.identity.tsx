import { getFormProps, useForm } from "@conform-to/react";
import { getZodConstraint, parseWithZod } from "@conform-to/zod";
import type { MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { identityAction, identityLoader } from "../../cards/pages.server";
import { identityCheckSchema } from "../../cards/schema";
import { FormErrors, PinField } from "../../cards/ui";
import { SelectField } from "../components/fields";

export const meta: MetaFunction = () => [
  { title: "本人確認（マイナンバーカード） | 住民記録システム（窓口）" },
];
export const loader = identityLoader;
export const action = identityAction;

const OUTCOME_LABELS: Record<string, string> = {
  matched: "一致",
  mismatch: "不一致",
  pinMismatch: "暗証番号の誤り",
  locked: "ロック",
  refused: "利用できないカード",
  unknownCard: "読取不可",
};

/**
 * 本人確認 at the counter: the resident's card (picked from the cards on the counter: only its
 * id is sent) and the 4-digit PIN the resident enters; the result says what differs.
 */
export default function IdentityCheck() {
  const { csrf, requestKey, reservation, cards, cardsError, checks } = useLoaderData<typeof loader>();
  const answer = useActionData<typeof action>();
  const [form, fields] = useForm({
    id: "identity-check",
    // biome-ignore lint/suspicious/noExplicitAny: Conform's reply, as returned by the action
    lastResult: answer?.reply as any,
    constraint: getZodConstraint(identityCheckSchema),
    shouldValidate: "onBlur",
    shouldRevalidate: "onInput",
    onValidate: ({ formData }) => parseWithZod(formData, { schema: identityCheckSchema }),
  });
  const result = answer?.result ?? null;
  return (
    <>
      <p>
        <a href={`/reservations/${reservation.id}`}>← 予約の詳細へ戻る</a>
      </p>
      <h1>本人確認（マイナンバーカード）</h1>
      <p>
        {reservation.receiptNumber ? `受付番号 ${reservation.receiptNumber}` : "予約"}: 異動する方{" "}
        {reservation.people.join("、")}
      </p>
      {result ? (
        <section aria-labelledby="result-title" role="status">
          <h2 id="result-title" className={result.outcome === "matched" ? "status-ok" : "status-bad"}>
            {result.outcome === "matched" ? "本人確認ができました" : "本人確認ができません"}
          </h2>
          <p>{result.message}</p>
          {result.holder && result.personIndex !== null ? (
            <p>カードの方: {reservation.people[result.personIndex] ?? "—"}</p>
          ) : null}
          {result.mismatches.length > 0 ? (
            <table>
              <caption>一致しない項目</caption>
              <thead>
                <tr>
                  <th scope="col">項目</th>
                  <th scope="col">内容</th>
                  <th scope="col">カード</th>
                  <th scope="col">照合先</th>
                </tr>
              </thead>
              <tbody>
                {result.mismatches.map((m) => (
                  <tr key={m.item}>
                    <th scope="row">{m.label}</th>
                    <td>{m.message}</td>
                    <td>{m.card ?? "—"}</td>
                    <td>{m.other ?? "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
          {result.outcome === "matched" ? (
            <p>
              <a href={`/reservations/${reservation.id}`}>予約の詳細へ戻り、手続きを続ける</a>
            </p>
          ) : null}
        </section>
      ) : null}

      {reservation.status !== "waiting" ? (
        <p role="status">この予約は来庁待ちではないため、本人確認はできません。</p>
      ) : cardsError ? (
        <p role="alert">{cardsError}</p>
      ) : (
        <Form method="post" {...getFormProps(form)}>
          <FormErrors id={form.errorId} errors={form.errors} />
          <input type="hidden" name="csrf" value={csrf} />
          <input type="hidden" name="requestKey" value={answer?.nextKey ?? requestKey} />
          <SelectField
            meta={fields.cardId}
            label="カード"
            hint="お客様のマイナンバーカードを選びます（模擬: カードリーダーに置く代わりです）"
            options={cards}
            placeholder="選んでください"
          />
          <PinField
            meta={fields.pin}
            label="利用者証明用電子証明書の暗証番号（数字4桁）"
            hint="お客様ご本人に入力していただきます。3回続けて間違えるとロックされます。"
            numeric
            maxLength={4}
          />
          <p>
            <button type="submit" className="button">
              本人確認する
            </button>
          </p>
        </Form>
      )}

      {checks.length > 0 ? (
        <section aria-labelledby="history">
          <h2 id="history">この予約の本人確認の記録</h2>
          <table>
            <thead>
              <tr>
                <th scope="col">日時</th>
                <th scope="col">確認した職員</th>
                <th scope="col">カード（末尾）</th>
                <th scope="col">結果</th>
              </tr>
            </thead>
            <tbody>
              {checks.map((c) => (
                <tr key={c.id}>
                  <td>{new Date(c.checkedAt).toLocaleString("ja-JP", { timeZone: "Asia/Tokyo" })}</td>
                  <td>{c.checkedBy}</td>
                  <td>{c.cardLastFour ?? "—"}</td>
                  <td>{OUTCOME_LABELS[c.outcome] ?? c.outcome}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ) : null}
    </>
  );
}
