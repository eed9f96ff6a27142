import { getFormProps, useForm } from "@conform-to/react";
import { getZodConstraint, parseWithZod } from "@conform-to/zod";
import type { MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { cardsIndexAction, cardsIndexLoader } from "../../cards/pages.server";
import { residentLookupSchema } from "../../cards/schema";
import { TextField } from "../components/fields";

export const meta: MetaFunction = () => [{ title: "マイナンバーカードの手続 | 住民記録システム（窓口）" }];
export const loader = cardsIndexLoader;
export const action = cardsIndexAction;

/** The resident whose card is processed, by 住民票コード (POST: the code never goes into a URL). */
export default function CardsIndex() {
  const { csrf } = useLoaderData<typeof loader>();
  const answer = useActionData<typeof action>();
  const [form, fields] = useForm({
    id: "card-resident",
    // biome-ignore lint/suspicious/noExplicitAny: Conform's reply, as returned by the action
    lastResult: answer?.reply as any,
    constraint: getZodConstraint(residentLookupSchema),
    shouldValidate: "onBlur",
    shouldRevalidate: "onInput",
    onValidate: ({ formData }) => parseWithZod(formData, { schema: residentLookupSchema }),
  });
  return (
    <>
      <h1>マイナンバーカードの手続</h1>
      <p>
        継続利用、券面記載事項変更、署名用電子証明書の発行、交付、廃止、回収、一時停止解除、返納を行います。手続をする方の住民票コードを入力してください。
      </p>
      <Form method="post" {...getFormProps(form)}>
        <input type="hidden" name="csrf" value={csrf} />
        <TextField
          meta={fields.residentCode}
          label="住民票コード"
          hint="11 桁の半角数字"
          inputMode="numeric"
        />
        <p>
          <button type="submit" className="button">
            手続の画面へ
          </button>
        </p>
      </Form>
    </>
  );
}
