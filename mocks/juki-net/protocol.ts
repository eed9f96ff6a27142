import { randomUUID } from "node:crypto";
import {
  CompactSign,
  type CryptoKey,
  compactVerify,
  decodeJwt,
  decodeProtectedHeader,
  importJWK,
  type JWK,
  jwtVerify,
  SignJWT,
} from "jose";
import { z } from "zod";
import {
  isValidLgCode,
  isValidMyNumber,
  isValidResidentCode,
} from "../../backoffice/register/identifiers.js";

/**
 * The 住基ネット stand-in's wire format (docs/contracts/juki-net.md), as Zod schemas plus the
 * signing helpers both sides use. Producers import these instead of re-typing the shapes.
 */

export const AUDIENCE = "juki-net";
export const MESSAGE_TYPE = "juki-net-message+json";
/** Longest life of a client assertion (exp − iat), seconds. */
export const MAX_ASSERTION_SECONDS = 300;

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "YYYY-MM-DD");
export const lgCodeSchema = z
  .string()
  .regex(/^\d{6}$/)
  .refine(isValidLgCode, "check digit");
export const residentCodeSchema = z
  .string()
  .regex(/^\d{11}$/)
  .refine(isValidResidentCode, "check digit");
export const myNumberSchema = z
  .string()
  .regex(/^\d{12}$/)
  .refine(isValidMyNumber, "check digit");

export const nameSchema = z.object({
  family: z.string().min(1),
  given: z.string(),
  familyKana: z.string(),
  givenKana: z.string(),
});
export const addressSchema = z.object({
  lgCode: lgCodeSchema,
  line: z.string().min(1),
  prefecture: z.string().optional(),
  city: z.string().optional(),
  town: z.string().optional(),
  chome: z.number().int().min(0).optional(),
  block: z.number().int().positive().optional(),
  lot: z.number().int().positive().optional(),
  building: z.string().optional(),
});
export type Name = z.infer<typeof nameSchema>;
export type Address = z.infer<typeof addressSchema>;
const sexSchema = z.enum(["male", "female"]);

/** 異動事由. The last four remove (消除) the municipality's identity information. */
export const reasons = [
  "seed",
  "birth",
  "moveIn",
  "immigration",
  "exOfficioEntry",
  "relocation",
  "correction",
  "nameChange",
  "residentCodeChange",
  "myNumberChange",
  "changeCancellation",
  "moveOut",
  "death",
  "emigration",
  "exOfficioRemoval",
] as const;
export type Reason = (typeof reasons)[number];
export const removingReasons: ReadonlySet<Reason> = new Set([
  "moveOut",
  "death",
  "emigration",
  "exOfficioRemoval",
]);

export const identityCoreSchema = z.object({
  name: nameSchema,
  birthDate: isoDate,
  sex: sexSchema,
  address: addressSchema,
  myNumber: myNumberSchema,
});

export const identityUpdateSchema = z.object({
  id: z.string().uuid(),
  lgCode: lgCodeSchema,
  residentCode: residentCodeSchema,
  sequence: z.number().int().positive(),
  reason: z.enum(reasons).exclude(["seed"]),
  reasonDate: isoDate,
  identity: identityCoreSchema,
});
export type IdentityUpdate = z.infer<typeof identityUpdateSchema>;

export interface IdentityInfo {
  residentCode: string;
  myNumber: string;
  name: Name;
  birthDate: string;
  sex: "male" | "female";
  address: Address;
  lgCode: string;
  reason: Reason;
  reasonDate: string;
  removed: boolean;
  sequence: number;
  recordedAt: string;
  movingOut?: { to: string; plannedDate: string; applicationId?: string };
}

export const lookupSchema = z.discriminatedUnion("by", [
  z.object({
    by: z.literal("residentCode"),
    residentCode: residentCodeSchema,
    includeHistory: z.boolean().optional(),
  }),
  z.object({ by: z.literal("myNumber"), myNumber: myNumberSchema, includeHistory: z.boolean().optional() }),
  z.object({
    by: z.literal("fourItems"),
    name: z.string().min(1).optional(),
    kana: z.string().min(1).optional(),
    birthDate: isoDate,
    sex: sexSchema,
    address: z.string().min(1),
    includeRemoved: z.boolean().optional(),
    includeHistory: z.boolean().optional(),
  }),
]);
export type Lookup = z.infer<typeof lookupSchema>;
export type Level = "municipality" | "prefecture" | "nation";

// ── Message bodies ────────────────────────────────────────────────────────────────────────

const statusLinesSchema = z.object({
  nationalHealthInsurance: z.boolean(),
  lateStageElderlyMedical: z.boolean(),
  longTermCare: z.boolean(),
  nationalPension: z.enum(["1", "2", "3"]).nullable(),
  childAllowance: z.boolean(),
});
export type StatusLines = z.infer<typeof statusLinesSchema>;

const honsekiSchema = z.object({ address: z.string().min(1), headOfFamily: z.string().min(1) });

export const moveOutRequestBody = z.object({
  applicationId: z.string().uuid(),
  /** The portal's 受付番号 of the online application, when there is one (shown at the counter). */
  receiptNumber: z
    .string()
    .regex(/^\d{4}-\d{4}-\d{4}$/)
    .optional(),
  origin: z.object({ address: z.string().min(1) }),
  destination: z.object({ lgCode: lgCodeSchema, address: addressSchema }),
  plannedMoveOutDate: isoDate,
  plannedVisitDate: isoDate.optional(),
  persons: z
    .array(
      z
        .object({
          residentCode: residentCodeSchema.optional(),
          name: z.string().min(1).optional(),
          kana: z.string().min(1).optional(),
          birthDate: isoDate,
          sex: sexSchema,
        })
        .refine((p) => p.residentCode || p.name || p.kana, "residentCode, name or kana"),
    )
    .min(1),
});

export const certificatePersonSchema = z.object({
  residentCode: residentCodeSchema,
  myNumber: myNumberSchema,
  name: nameSchema,
  birthDate: isoDate,
  sex: sexSchema,
  householdHead: z.boolean(),
  householdHeadName: z.string(),
  relationship: z.string(),
  honseki: honsekiSchema.optional(),
  nationality: z.string(),
  foreigner: z
    .object({
      category: z.string(),
      status: z.string().optional(),
      periodOfStay: z.string().optional(),
      periodExpiresOn: isoDate.optional(),
      residenceCardNumber: z.string().optional(),
      specialPermanentResidentCertificateNumber: z.string().optional(),
      alias: z.string().optional(),
      becameResidentOn: isoDate.optional(),
    })
    .optional(),
  residentSince: isoDate,
  addressSince: isoDate,
  statusLines: statusLinesSchema,
  supportMeasure: z.boolean(),
});
export type CertificatePerson = z.infer<typeof certificatePersonSchema>;

export const moveOutCertificateBody = z.object({
  applicationId: z.string().uuid().optional(),
  /** The portal's 受付番号 of the online application, when there is one (shown at the counter). */
  receiptNumber: z
    .string()
    .regex(/^\d{4}-\d{4}-\d{4}$/)
    .optional(),
  certificateId: z.string().min(1),
  issuedOn: isoDate,
  origin: z.object({ lgCode: lgCodeSchema, address: addressSchema }),
  destination: z.object({ lgCode: lgCodeSchema, address: addressSchema }),
  plannedMoveOutDate: isoDate,
  plannedVisitDate: isoDate.optional(),
  persons: z.array(certificatePersonSchema).min(1),
});
export type MoveOutCertificate = z.infer<typeof moveOutCertificateBody>;

export const moveOutRefusedBody = z.object({
  applicationId: z.string().uuid(),
  reason: z.enum(["noRecord", "removed", "alreadyMoving", "wrongMunicipality"]),
  personIndex: z.number().int().min(0).optional(),
});

export const moveOutCancelBody = z.object({
  applicationId: z.string().uuid(),
  reason: z.string().optional(),
});
export const moveOutCancelledBody = z.object({
  applicationId: z.string().uuid(),
  result: z.enum(["cancelled", "alreadyCompleted", "unknown"]),
});

const personCoreSchema = z.object({
  residentCode: residentCodeSchema,
  name: nameSchema,
  birthDate: isoDate,
  sex: sexSchema,
});

export const moveInNoticeBody = z.object({
  applicationId: z.string().uuid().optional(),
  certificateId: z.string().optional(),
  movedInOn: isoDate,
  notifiedOn: isoDate,
  destination: z.object({ lgCode: lgCodeSchema, address: addressSchema }),
  persons: z.array(personCoreSchema).min(1),
});

export const annexNoticeBody = z.object({
  persons: z
    .array(
      personCoreSchema.extend({
        honseki: honsekiSchema,
        address: addressSchema,
        addressSetOn: isoDate,
        reason: z.enum(reasons),
      }),
    )
    .min(1),
});

export const messageBodies = {
  moveOutRequest: moveOutRequestBody,
  moveOutCertificate: moveOutCertificateBody,
  moveOutRefused: moveOutRefusedBody,
  moveOutCancel: moveOutCancelBody,
  moveOutCancelled: moveOutCancelledBody,
  moveInNotice: moveInNoticeBody,
  annexNotice: annexNoticeBody,
} as const;
export type MessageKind = keyof typeof messageBodies;
export const messageKinds = Object.keys(messageBodies) as MessageKind[];

export const envelopeSchema = z
  .object({
    id: z.string().uuid(),
    kind: z.enum(messageKinds as [MessageKind, ...MessageKind[]]),
    from: z.string().regex(/^\d{6}$/),
    to: z.string().regex(/^\d{6}$/),
    sentAt: z.string().datetime({ offset: true }),
    inReplyTo: z.string().uuid().optional(),
    applicationId: z.string().uuid().optional(),
    orderingKey: z.string().min(1).max(200).optional(),
    sequence: z.number().int().positive().optional(),
    body: z.unknown(),
  })
  .refine((e) => (e.orderingKey === undefined) === (e.sequence === undefined), {
    message: "orderingKey and sequence go together",
    path: ["sequence"],
  })
  .refine((e) => e.kind !== "moveOutRequest" || e.applicationId !== undefined, {
    message: "required for moveOutRequest",
    path: ["applicationId"],
  });
export type Envelope = z.infer<typeof envelopeSchema>;
export type MessageBody<K extends MessageKind> = z.infer<(typeof messageBodies)[K]>;

/** Checks an envelope and its kind's body; returns field paths of the problems (never values). */
export function parseEnvelope(
  value: unknown,
): { ok: true; envelope: Envelope } | { ok: false; issues: string[] } {
  const env = envelopeSchema.safeParse(value);
  if (!env.success)
    return { ok: false, issues: env.error.issues.map((i) => i.path.join(".") || "(envelope)") };
  const body = messageBodies[env.data.kind].safeParse(env.data.body);
  if (!body.success) return { ok: false, issues: body.error.issues.map((i) => `body.${i.path.join(".")}`) };
  return { ok: true, envelope: { ...env.data, body: body.data } };
}

// ── Signing ───────────────────────────────────────────────────────────────────────────────

type PrivateJwk = JsonWebKey & { kid: string };
type PublicJwk = JsonWebKey & { kid: string };

const keyCache = new WeakMap<object, Promise<CryptoKey | Uint8Array>>();
function importKey(jwk: JsonWebKey): Promise<CryptoKey | Uint8Array> {
  let key = keyCache.get(jwk);
  if (!key) {
    key = importJWK(jwk as JWK, "ES256");
    keyCache.set(jwk, key);
  }
  return key;
}

/** Signs an envelope as a compact JWS with the sending municipality's key. */
export async function signMessage(envelope: Envelope, privateJwk: PrivateJwk): Promise<string> {
  const payload = new TextEncoder().encode(JSON.stringify(envelope));
  return new CompactSign(payload)
    .setProtectedHeader({ alg: "ES256", kid: privateJwk.kid, typ: MESSAGE_TYPE })
    .sign(await importKey(privateJwk));
}

/** A new envelope with a fresh id and the current time. */
export function newEnvelope<K extends MessageKind>(
  fields: Omit<Envelope, "id" | "sentAt" | "kind" | "body"> & { kind: K; body: MessageBody<K> },
  now: Date = new Date(),
): Envelope {
  return { id: randomUUID(), sentAt: now.toISOString(), ...fields };
}

export class SignatureError extends Error {
  constructor(
    readonly code: "unsigned" | "badSignature",
    message: string,
  ) {
    super(message);
    this.name = "SignatureError";
  }
}

/**
 * Reads a compact JWS without trusting it yet (to learn `from`), then verifies it with the
 * key `keyFor(from)` returns. Throws SignatureError; the caller validates the envelope.
 */
export async function verifyMessage(
  jws: unknown,
  keyFor: (lgCode: string) => PublicJwk | undefined,
): Promise<{ payload: unknown; from: string | undefined }> {
  if (typeof jws !== "string" || jws.split(".").length !== 3)
    throw new SignatureError("unsigned", "no compact JWS");
  let header: ReturnType<typeof decodeProtectedHeader>;
  let payload: unknown;
  try {
    header = decodeProtectedHeader(jws);
    payload = JSON.parse(Buffer.from(jws.split(".")[1]!, "base64url").toString("utf8"));
  } catch {
    throw new SignatureError("unsigned", "not a compact JWS with a JSON payload");
  }
  if (header.alg !== "ES256") throw new SignatureError("unsigned", "alg must be ES256");
  const from = (payload as { from?: unknown } | null)?.from;
  if (typeof from !== "string") return { payload, from: undefined };
  const jwk = keyFor(from);
  if (!jwk) return { payload, from };
  try {
    await compactVerify(jws, await importKey(jwk), { algorithms: ["ES256"] });
  } catch {
    throw new SignatureError("badSignature", "the signature does not verify with the sender's key");
  }
  return { payload, from };
}

/** A client assertion for the CS endpoints (iss = sub = lgCode, aud = juki-net, 5 minutes). */
export async function clientAssertion(
  lgCode: string,
  privateJwk: PrivateJwk,
  now: Date = new Date(),
): Promise<string> {
  const iat = Math.floor(now.getTime() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: "ES256", kid: privateJwk.kid })
    .setIssuer(lgCode)
    .setSubject(lgCode)
    .setAudience(AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + MAX_ASSERTION_SECONDS)
    .setJti(randomUUID())
    .sign(await importKey(privateJwk));
}

/** Verifies `Authorization: Bearer <assertion>`; returns the municipality or undefined. */
export async function verifyAssertion(
  authorization: string | undefined,
  keyFor: (lgCode: string) => PublicJwk | undefined,
  now: Date = new Date(),
): Promise<string | undefined> {
  const token = /^Bearer (\S+)$/i.exec(authorization ?? "")?.[1];
  if (!token) return undefined;
  try {
    const claims = decodeJwt(token);
    const lgCode = claims.sub;
    if (!lgCode || claims.iss !== lgCode) return undefined;
    const jwk = keyFor(lgCode);
    if (!jwk) return undefined;
    const { payload } = await jwtVerify(token, await importKey(jwk), {
      algorithms: ["ES256"],
      audience: AUDIENCE,
      issuer: lgCode,
      subject: lgCode,
      currentDate: now,
      clockTolerance: 30,
      requiredClaims: ["exp", "iat"],
    });
    if (payload.exp! - payload.iat! > MAX_ASSERTION_SECONDS) return undefined;
    return lgCode;
  } catch {
    return undefined;
  }
}
