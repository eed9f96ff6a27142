import { JukiNetRetryableError } from "./client.js";

/**
 * The card IdP's public JPKI endpoints (docs/contracts/card-idp.md): the trusted root and the
 * revocation status of a certificate. 5xx and timeouts are retryable; 404 is `unknown`.
 */
const roots = new Map<string, string>();

async function get(url: string, timeoutMs: number): Promise<Response> {
  try {
    return await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch {
    throw new JukiNetRetryableError("card IdP did not answer");
  }
}

export async function trustedRoot(cardIdpUrl: string, timeoutMs = 10_000): Promise<string> {
  const cached = roots.get(cardIdpUrl);
  if (cached) return cached;
  const res = await get(`${cardIdpUrl}/jpki/root.pem`, timeoutMs);
  if (!res.ok) throw new JukiNetRetryableError(`card IdP root answered ${res.status}`, res.status);
  const pem = await res.text();
  roots.set(cardIdpUrl, pem);
  return pem;
}

export async function revocationStatus(
  cardIdpUrl: string,
  serial: string,
  timeoutMs = 10_000,
): Promise<{ status: string; revokedAt?: string }> {
  if (!/^\d+$/.test(serial)) return { status: "unknown" };
  const res = await get(`${cardIdpUrl}/jpki/certificates/${serial}/status`, timeoutMs);
  if (res.status === 404) return { status: "unknown" };
  if (!res.ok) throw new JukiNetRetryableError(`card IdP status answered ${res.status}`, res.status);
  return (await res.json()) as { status: string; revokedAt?: string };
}
