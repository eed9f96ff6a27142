import { createRemoteJWKSet, decodeJwt, jwtVerify } from "jose";

/**
 * private_key_jwt outside the token endpoint (the signing API): the RP sends a client
 * assertion signed ES256 with the key it publishes at its jwks_uri, as it does for tokens.
 */

export const CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const MAX_LIFETIME_S = 300;
const CLOCK_TOLERANCE_S = 15;

export interface RegisteredClient {
  clientId: string;
  jwksUri: string;
}

export class ClientAuthError extends Error {}

export class ClientAssertionVerifier {
  private readonly jwks = new Map<string, ReturnType<typeof createRemoteJWKSet>>();
  private readonly seenJti = new Map<string, number>();

  constructor(private readonly clients: RegisteredClient[]) {}

  /** Returns the authenticated client id, or throws ClientAuthError. */
  async verify(body: unknown, audiences: string[]): Promise<string> {
    const b = (body ?? {}) as Record<string, unknown>;
    if (b.client_assertion_type !== CLIENT_ASSERTION_TYPE || typeof b.client_assertion !== "string") {
      throw new ClientAuthError("client_assertion_type and client_assertion are required");
    }
    let unverifiedIss: unknown;
    try {
      unverifiedIss = decodeJwt(b.client_assertion).iss;
    } catch {
      throw new ClientAuthError("client_assertion is not a JWT");
    }
    const client = this.clients.find((c) => c.clientId === unverifiedIss);
    if (!client) throw new ClientAuthError("unknown client");
    if (b.client_id !== undefined && b.client_id !== client.clientId)
      throw new ClientAuthError("client_id does not match the assertion");
    let jwks = this.jwks.get(client.clientId);
    if (!jwks) {
      jwks = createRemoteJWKSet(new URL(client.jwksUri), { timeoutDuration: 5_000 });
      this.jwks.set(client.clientId, jwks);
    }
    let payload: Awaited<ReturnType<typeof jwtVerify>>["payload"];
    try {
      ({ payload } = await jwtVerify(b.client_assertion, jwks, {
        algorithms: ["ES256"],
        issuer: client.clientId,
        subject: client.clientId,
        audience: audiences,
        clockTolerance: CLOCK_TOLERANCE_S,
        requiredClaims: ["exp", "jti"],
      }));
    } catch (err) {
      throw new ClientAuthError(
        `client assertion rejected: ${err instanceof Error ? err.message : "invalid"}`,
      );
    }
    const now = Math.floor(Date.now() / 1000);
    const exp = payload.exp as number;
    if (exp - now > MAX_LIFETIME_S + CLOCK_TOLERANCE_S)
      throw new ClientAuthError("client assertion lives too long");
    this.prune(now);
    const key = `${client.clientId}:${payload.jti}`;
    if (this.seenJti.has(key)) throw new ClientAuthError("client assertion jti was already used");
    this.seenJti.set(key, exp + CLOCK_TOLERANCE_S);
    return client.clientId;
  }

  private prune(now: number): void {
    for (const [jti, until] of this.seenJti) if (until < now) this.seenJti.delete(jti);
  }
}
