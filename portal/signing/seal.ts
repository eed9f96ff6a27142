import { CompactEncrypt, compactDecrypt, importJWK, type JWK } from "jose";
import { z } from "zod";

/**
 * What travels on the intake queue, sealed: the application JSON as the resident signed it, its
 * digest, the card's signature and the signing certificate (with its chain). Sealed as a compact
 * JWE (ECDH-ES+A256KW, A256GCM) to the back office's public key, so the queue, Redis and the
 * outbox never hold personal data in clear, and only the closed zone can open it.
 */
export const signedApplicationSchema = z.object({
  /** The application JSON (its canonical form is what was digested). */
  application: z.record(z.unknown()),
  /** base64url of SHA-256 over the canonical application JSON (32 bytes). */
  digest: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  /** base64url DER ECDSA signature over the 32 digest bytes (card IdP contract v1). */
  signature: z.string().min(1),
  signatureAlgorithm: z.string().min(1),
  certificatePem: z.string().includes("BEGIN CERTIFICATE"),
  chainPem: z.array(z.string()).optional(),
  signedAt: z.string().optional(),
});
export type SignedApplication = z.infer<typeof signedApplicationSchema>;

export const SEAL_ALG = "ECDH-ES+A256KW";
export const SEAL_ENC = "A256GCM";

export async function sealSignedApplication(
  signed: SignedApplication,
  recipientPublicJwk: JWK,
): Promise<string> {
  const payload = signedApplicationSchema.parse(signed);
  const key = await importJWK({ ...recipientPublicJwk, alg: SEAL_ALG }, SEAL_ALG);
  return new CompactEncrypt(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({
      alg: SEAL_ALG,
      enc: SEAL_ENC,
      cty: "application/vnd.juki.signed-application+json",
      ...(recipientPublicJwk.kid ? { kid: recipientPublicJwk.kid } : {}),
    })
    .encrypt(key);
}

/** Opens a sealed application with the back office's private key (closed zone only). */
export async function unsealSignedApplication(
  jwe: string,
  recipientPrivateJwk: JWK,
): Promise<SignedApplication> {
  const key = await importJWK({ ...recipientPrivateJwk, alg: SEAL_ALG }, SEAL_ALG);
  const { plaintext } = await compactDecrypt(jwe, key, {
    keyManagementAlgorithms: [SEAL_ALG],
    contentEncryptionAlgorithms: [SEAL_ENC],
  });
  return signedApplicationSchema.parse(JSON.parse(new TextDecoder().decode(plaintext)));
}
