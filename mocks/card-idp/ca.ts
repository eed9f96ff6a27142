import "reflect-metadata";
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  webcrypto,
} from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import * as x509 from "@peculiar/x509";
import type { Holder } from "./holders.js";

/**
 * The mock JPKI certificate authority: one root (ECDSA P-256), generated at first start into
 * DATA_DIR/card-idp/ca and kept afterwards, which issues each holder's 署名用電子証明書 with the
 * world file's serial and expiry and the holder's 基本4情報 in subjectAltName (as JPKI does).
 * Each holder's signing key is generated once and kept next to it (the card's chip, here).
 */

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const EC = { name: "ECDSA", namedCurve: "P-256" } as const;
const SIGNING_ALG = { name: "ECDSA", hash: "SHA-256" } as const;

/** JPKI's arc for the 基本4情報 in a 署名用電子証明書 (values encoded as UTF8String here). */
export const JPKI_OID = {
  name: "1.2.392.200149.8.5.5.1",
  birthDate: "1.2.392.200149.8.5.5.3",
  gender: "1.2.392.200149.8.5.5.4",
  address: "1.2.392.200149.8.5.5.5",
} as const;

export const ROOT_SUBJECT = "C=JP, O=JPKI (mock), OU=JPKI for digital signature (mock), CN=JPKI Mock Root CA";

export interface IssuedCertificate {
  pem: string;
  privateKey: KeyObject;
}

export class MockJpkiCa {
  private readonly dir: string;
  private readonly issued = new Map<string, Promise<IssuedCertificate>>();

  private constructor(
    dataDir: string,
    readonly rootPem: string,
    private readonly rootKey: CryptoKey,
    private readonly rootCert: x509.X509Certificate,
  ) {
    this.dir = path.join(path.resolve(dataDir), "card-idp");
  }

  static async open(dataDir: string): Promise<MockJpkiCa> {
    const caDir = path.join(path.resolve(dataDir), "card-idp", "ca");
    mkdirSync(caDir, { recursive: true, mode: 0o700 });
    const certFile = path.join(caDir, "root.pem");
    const keyFile = path.join(caDir, "root-key.pem");
    let certPem = readIfExists(certFile);
    let keyPem = readIfExists(keyFile);
    if (!certPem || !keyPem) {
      const generated = await generateRoot();
      keyPem = generated.keyPem;
      certPem = generated.certPem;
      writeFileSync(keyFile, keyPem, { mode: 0o600 });
      writeFileSync(certFile, certPem, { mode: 0o644 });
    }
    const rootKey = await importPrivate(keyPem);
    return new MockJpkiCa(dataDir, certPem, rootKey, new x509.X509Certificate(certPem));
  }

  /** The holder's signing certificate and key, issued once and read back afterwards. */
  signingCertificate(holder: Holder): Promise<IssuedCertificate> {
    const signCert = holder.card.signCert;
    if (!signCert) throw new Error("holder has no signing certificate");
    let pending = this.issued.get(signCert.serial);
    if (!pending) {
      pending = this.loadOrIssue(holder);
      this.issued.set(signCert.serial, pending);
      pending.catch(() => this.issued.delete(signCert.serial));
    }
    return pending;
  }

  private async loadOrIssue(holder: Holder): Promise<IssuedCertificate> {
    const signCert = holder.card.signCert!;
    if (!/^\d{1,40}$/.test(signCert.serial))
      throw new Error("signing certificate serial must be decimal digits");
    const keyDir = path.join(this.dir, "sign-keys");
    const certDir = path.join(this.dir, "ca", "issued");
    mkdirSync(keyDir, { recursive: true, mode: 0o700 });
    mkdirSync(certDir, { recursive: true, mode: 0o700 });
    const keyFile = path.join(keyDir, `${signCert.serial}.pem`);
    const certFile = path.join(certDir, `${signCert.serial}.pem`);

    let keyPem = readIfExists(keyFile);
    if (!keyPem) {
      const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
      keyPem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
      try {
        writeFileSync(keyFile, keyPem, { flag: "wx", mode: 0o600 });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
        keyPem = readFileSync(keyFile, "utf8");
      }
    }
    const privateKey = createPrivateKey(keyPem);
    const existing = readIfExists(certFile);
    if (existing) return { pem: existing, privateKey };

    const spki = createPublicKey(privateKey).export({ type: "spki", format: "der" });
    const publicKey = await webcrypto.subtle.importKey("spki", spki, EC, true, ["verify"]);
    const notAfter = new Date(`${signCert.expiresOn}T14:59:59Z`); // 23:59:59 JST
    const notBefore = new Date(notAfter);
    notBefore.setUTCFullYear(notAfter.getUTCFullYear() - 5);
    const now = new Date();
    const earliest = new Date(now.getTime() - 86_400_000);
    const { person } = holder;
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: decimalToHex(signCert.serial),
      subject: subjectName([
        ["C", "JP"],
        ["ST", person.address.prefecture],
        ["L", person.address.city ?? person.lgCode],
        ["CN", signCert.serial],
      ]),
      issuer: this.rootCert.subject,
      notBefore: notBefore < earliest ? notBefore : earliest,
      notAfter,
      publicKey,
      signingKey: this.rootKey,
      signingAlgorithm: SIGNING_ALG,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation,
          true,
        ),
        await x509.AuthorityKeyIdentifierExtension.create(this.rootCert.publicKey),
        await x509.SubjectKeyIdentifierExtension.create(publicKey),
        new x509.Extension(
          "2.5.29.17",
          false,
          subjectAltNameDer([
            [JPKI_OID.name, `${person.name.family} ${person.name.given}`],
            [JPKI_OID.birthDate, person.birthDate.replaceAll("-", "")],
            [JPKI_OID.gender, person.sex === "male" ? "1" : "2"],
            [JPKI_OID.address, person.address.line],
          ]),
        ),
      ],
    });
    const pem = cert.toString("pem");
    writeFileSync(certFile, pem, { mode: 0o644 });
    return { pem, privateKey };
  }
}

function subjectName(rdns: [type: string, value: string | undefined][]): x509.JsonName {
  const name: x509.JsonName = [];
  for (const [type, value] of rdns) if (value) name.push({ [type]: [value] });
  return name;
}

async function generateRoot(): Promise<{ keyPem: string; certPem: string }> {
  const keys = (await webcrypto.subtle.generateKey(EC, true, ["sign", "verify"])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: `01${randomBytes(8).toString("hex")}`,
    name: ROOT_SUBJECT,
    notBefore: new Date("2020-01-01T00:00:00Z"),
    notAfter: new Date("2050-01-01T00:00:00Z"),
    keys,
    signingAlgorithm: SIGNING_ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey));
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8
    .toString("base64")
    .replace(/(.{64})/g, "$1\n")
    .replace(/\n$/, "")}\n-----END PRIVATE KEY-----\n`;
  return { keyPem, certPem: cert.toString("pem") };
}

async function importPrivate(pem: string): Promise<CryptoKey> {
  const der = createPrivateKey(pem).export({ type: "pkcs8", format: "der" });
  return webcrypto.subtle.importKey("pkcs8", der, EC, false, ["sign"]);
}

function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/** X.509 serials are positive integers; a leading 00 keeps the high bit clear. */
export function decimalToHex(decimal: string): string {
  let hex = BigInt(decimal).toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  if (Number.parseInt(hex.slice(0, 2), 16) >= 0x80) hex = `00${hex}`;
  return hex;
}

// Minimal DER for GeneralNames made of otherName entries (the x509 library's JSON form has no
// generic otherName): SEQUENCE OF [0] { type-id OID, [0] EXPLICIT UTF8String }.
function subjectAltNameDer(entries: [oid: string, value: string][]): ArrayBuffer {
  const names = entries.map(([oid, value]) =>
    tlv(0xa0, Buffer.concat([oidDer(oid), tlv(0xa0, tlv(0x0c, Buffer.from(value, "utf8")))])),
  );
  const der = tlv(0x30, Buffer.concat(names));
  return der.buffer.slice(der.byteOffset, der.byteOffset + der.byteLength) as ArrayBuffer;
}

function tlv(tag: number, value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), derLength(value.length), value]);
}

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function oidDer(oid: string): Buffer {
  const parts = oid.split(".").map(Number);
  const first = parts[0]! * 40 + parts[1]!;
  const body: number[] = [];
  for (const arc of [first, ...parts.slice(2)]) {
    const chunk: number[] = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    body.push(...chunk);
  }
  return tlv(0x06, Buffer.from(body));
}
