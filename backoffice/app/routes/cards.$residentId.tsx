import { getFormProps, useForm } from "@conform-to/react";
import { getZodConstraint, parseWithZod } from "@conform-to/zod";
import type { MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { cardsPageAction, cardsPageLoader } from "../../cards/pages.server";
import { CARD_OPERATION_VALUES, cardOperationSchema } from "../../cards/schema";
import { FormErrors, PinField } from "../../cards/ui";
import { SelectField } from "../components/fields";

export const meta: MetaFunction = () => [{ title: "マイナンバーカードの手続 | 住民記録システム（窓口）" }];
export const loader = cardsPageLoader;
export const action = cardsPageAction;

const LABELS: Record<(typeof CARD_OPERATION_VALUES)[number], string> = {
  continuedUse: "継続利用（転入後90日以内・暗証番号が必要）",
  surfaceUpdate: "券面記載事項変更（新しい住所をカードに記載）",
  signCertReissue: "署名用電子証明書の発行（転居等で失効した分・暗証番号が必要）",
  issue: "交付",
  abolish: "廃止",
  collect: "回収",
  unsuspend: "一時停止解除",
  return: "返納",
};
const STATUS_LABELS: Record<string, string> = {
  accepted: "J-LIS 受付済み",
  refused: "処理できず",
  pending: "送信未完了（再送が必要）",
};

/**
 * One resident's card: the procedure, the card on the counter and, where needed, the PINs the
 * resident enters. Each procedure is sent to J-LIS at once; when J-LIS does not answer, the
 * form keeps its request key and 「再送する」 sends the same request again (acted on once).
 */
export default function CardProcessing() {
  const { csrf, requestKey, today, resident, moveIn, cards, cardsError, operations } =
    useLoaderData<typeof loader>();
  const answer = useActionData<typeof action>();
  const [form, fields] = useForm({
    id: "card-operation",
    // biome-ignore lint/suspicious/noExplicitAny: Conform's reply, as returned by the action
    lastResult: answer?.reply as any,
    constraint: getZodConstraint(cardOperationSchema),
    shouldValidate: "onBlur",
    shouldRevalidate: "onInput",
    onValidate: ({ formData }) => parseWithZod(formData, { schema: cardOperationSchema }),
  });
  const result = answer?.result ?? null;
  const pending = result?.status === "pending";
  return (
    <>
      <h1>マイナンバーカードの手続</h1>
      <dl className="facts">
        <dt>氏名</dt>
        <dd>
          {resident.name}（{resident.kana}）
        </dd>
        <dt>住所（住民記録）</dt>
        <dd>{resident.address}</dd>
        <dt>継続利用の期限</dt>
        <dd>
          {moveIn
            ? `${moveIn.deadline}（転入届 ${moveIn.notifiedOn} から90日${today > moveIn.deadline ? "・期限切れ" : ""}）`
            : "転入の届出はありません"}
        </dd>
      </dl>

      {result ? (
        <section aria-labelledby="result-title" role="status">
          <h2 id="result-title" className={result.status === "accepted" ? "status-ok" : "status-bad"}>
            {STATUS_LABELS[result.status] ?? result.status}
          </h2>
          <p>{result.message}</p>
          {result.newSignSerial ? <p>新しい署名用電子証明書のシリアル番号: {result.newSignSerial}</p> : null}
        </section>
      ) : null}

      {cardsError ? (
        <p role="alert">{cardsError}</p>
      ) : (
        <Form method="post" {...getFormProps(form)}>
          <FormErrors id={form.errorId} errors={form.errors} />
          <input type="hidden" name="csrf" value={csrf} />
          <input type="hidden" name="requestKey" value={answer?.nextKey ?? requestKey} />
          <SelectField
            meta={fields.operation}
            label="手続"
            options={CARD_OPERATION_VALUES.map((v) => ({ value: v, label: LABELS[v] }))}
            placeholder="選んでください"
          />
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
            hint="継続利用と署名用電子証明書の発行で、お客様ご本人に入力していただきます。"
            numeric
            maxLength={4}
          />
          <fieldset>
            <legend>署名用電子証明書の発行のとき</legend>
            <PinField
              meta={fields.newSignPin}
              label="新しい署名用電子証明書の暗証番号"
              hint="英字と数字を組み合わせた6〜16文字。お客様ご本人に設定していただきます。"
              maxLength={16}
            />
            <PinField
              meta={fields.newSignPinConfirm}
              label="新しい署名用電子証明書の暗証番号（確認）"
              hint="同じ暗証番号をもう一度入力します。"
              maxLength={16}
            />
          </fieldset>
          <p>
            <button type="submit" className="button">
              {pending ? "再送する" : "J-LIS に送信する"}
            </button>
          </p>
        </Form>
      )}

      <section aria-labelledby="history">
        <h2 id="history">この方のカードの手続</h2>
        {operations.length === 0 ? (
          <p>まだありません。</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">日時</th>
                <th scope="col">手続</th>
                <th scope="col">カード（末尾）</th>
                <th scope="col">結果</th>
                <th scope="col">職員</th>
              </tr>
            </thead>
            <tbody>
              {operations.map((o) => (
                <tr key={o.id}>
                  <td>{new Date(o.createdAt).toLocaleString("ja-JP", { timeZone: "Asia/Tokyo" })}</td>
                  <td>{o.label}</td>
                  <td>{o.cardLastFour}</td>
                  <td>
                    {STATUS_LABELS[o.status] ?? o.status}
                    {o.refusal ? `: ${o.refusal}` : ""}
                    {o.status === "pending" && o.lastError ? `（${o.lastError}、${o.attempts}回）` : ""}
                  </td>
                  <td>{o.requestedBy}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <p>
        <a href="/cards">← 別の方の手続へ</a>
      </p>
    </>
  );
}
