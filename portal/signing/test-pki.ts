// @peculiar/x509 (through tsyringe) needs the Reflect metadata polyfill loaded first.
import "reflect-metadata";
import { sign, webcrypto } from "node:crypto";
import {
  BasicConstraintsExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  X509CertificateGenerator,
} from "@peculiar/x509";
import { applicationDigest } from "./canonical.js";

/** A throw-away JPKI-like CA for tests: a root and signing certificates issued by it. */
const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

export interface TestPki {
  rootPem: string;
  issue(opts: { serial: string; notBefore?: Date; notAfter?: Date; keyUsage?: number }): Promise<{
    certificatePem: string;
    sign(application: unknown): { digest: string; signature: string };
    /** Signs the 32 digest bytes (base64url), as the card IdP's signing API does. */
    signDigest(digest: string): string;
  }>;
}

export async function createTestPki(name = "Test JPKI Root"): Promise<TestPki> {
  const rootKeys = (await webcrypto.subtle.generateKey(alg, true, ["sign", "verify"])) as CryptoKeyPair;
  const root = await X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: "01",
      name: `C=JP, O=JPKI (test), CN=${name}`,
      notBefore: new Date("2020-01-01T00:00:00Z"),
      notAfter: new Date("2050-01-01T00:00:00Z"),
      keys: rootKeys,
      signingAlgorithm: alg,
      extensions: [
        new BasicConstraintsExtension(true, undefined, true),
        new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign, true),
      ],
    },
    webcrypto as unknown as Crypto,
  );
  return {
    rootPem: root.toString("pem"),
    async issue(opts) {
      const keys = (await webcrypto.subtle.generateKey(alg, true, ["sign", "verify"])) as CryptoKeyPair;
      const cert = await X509CertificateGenerator.create(
        {
          serialNumber: BigInt(opts.serial).toString(16).padStart(2, "0"),
          subject: `C=JP, CN=${opts.serial}`,
          issuer: root.subject,
          notBefore: opts.notBefore ?? new Date("2025-01-01T00:00:00Z"),
          notAfter: opts.notAfter ?? new Date("2030-04-12T14:59:59Z"),
          publicKey: keys.publicKey,
          signingKey: rootKeys.privateKey,
          signingAlgorithm: alg,
          extensions: [
            new BasicConstraintsExtension(false, undefined, true),
            new KeyUsagesExtension(
              opts.keyUsage ?? KeyUsageFlags.digitalSignature | KeyUsageFlags.nonRepudiation,
              true,
            ),
          ],
        },
        webcrypto as unknown as Crypto,
      );
      const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey));
      const signDigest = (digest: string) =>
        sign("sha256", Buffer.from(digest, "base64url"), {
          key: pkcs8,
          format: "der",
          type: "pkcs8",
        }).toString("base64url");
      return {
        certificatePem: cert.toString("pem"),
        sign(application: unknown) {
          const digest = applicationDigest(application);
          return { digest, signature: signDigest(digest) };
        },
        signDigest,
      };
    },
  };
}
