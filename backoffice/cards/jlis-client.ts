/**
 * The back office's client of the J-LIS card-management stand-in (mocks/card-management.ts;
 * MOCKS_PORT + 2). A request carries its own id, which J-LIS uses to act once: resending the
 * same request after a timeout is safe. Errors carry status codes only, never a card number.
 */

export const defaultCardManagementUrl = (env: Record<string, string | undefined> = process.env) =>
  (env.CARD_MANAGEMENT_URL ?? `http://127.0.0.1:${Number(env.MOCKS_PORT ?? 4000) + 2}`).replace(/\/$/, "");

export interface JlisRequest {
  id: string;
  lgCode: string;
  cardNumber: string;
  operation: string;
  moveInNotifiedOn?: string;
  newAddress?: string;
  signCertSerial?: string;
}

export type JlisAnswer =
  | { kind: "accepted"; cardStatus: string; acceptedAt: string }
  | { kind: "refused"; code: string; message: string };

/** No definitive answer (connection, timeout, 5xx, or a reused id): resend the same request later. */
export class JlisUnavailableError extends Error {
  override name = "JlisUnavailableError";
  constructor(readonly status?: number) {
    super(
      status
        ? `J-LIS（カード管理システム）がエラーを返しました（${status}）`
        : "J-LIS（カード管理システム）に接続できませんでした",
    );
  }
}

export interface CardManagementClient {
  send(request: JlisRequest): Promise<JlisAnswer>;
}

export function cardManagementClient(o: {
  baseUrl: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}): CardManagementClient {
  const base = o.baseUrl.replace(/\/$/, "");
  const doFetch = o.fetch ?? ((...args: Parameters<typeof fetch>) => fetch(...args));
  return {
    async send(request) {
      let res: Response;
      try {
        res = await doFetch(`${base}/card-operations`, {
          method: "POST",
          headers: { "content-type": "application/json", accept: "application/json" },
          body: JSON.stringify(request),
          signal: AbortSignal.timeout(o.timeoutMs ?? 10_000),
        });
      } catch {
        throw new JlisUnavailableError();
      }
      // biome-ignore lint/suspicious/noExplicitAny: the answer is checked field by field below
      let body: any;
      try {
        body = await res.json();
      } catch {
        body = undefined;
      }
      if (res.status === 202 && body?.accepted === true)
        return {
          kind: "accepted",
          cardStatus: String(body.cardStatus),
          acceptedAt: String(body.acceptedAt ?? ""),
        };
      if (res.status === 409 && body?.error === "idReused") throw new JlisUnavailableError(409);
      if (res.status === 409)
        return {
          kind: "refused",
          code: String(body?.error ?? "refused"),
          message: String(body?.message ?? ""),
        };
      if (res.status === 404)
        return { kind: "refused", code: "unknown_card", message: "J-LIS にこのカードの記録がありません。" };
      if (res.status === 400)
        return { kind: "refused", code: "invalid", message: "J-LIS が要求の形式を受け付けませんでした。" };
      throw new JlisUnavailableError(res.status);
    },
  };
}
