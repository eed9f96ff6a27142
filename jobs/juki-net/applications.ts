import { randomUUID } from "node:crypto";
import type { JWK } from "jose";
import { addDays } from "../../backoffice/register/time-rules.js";
import type { WorldPerson } from "../../lib/world.js";
import type { ApplicationDocument } from "../../portal/applications/document.js";
import { type SignedApplication, sealSignedApplication } from "../../portal/signing/seal.js";

/** Test helpers: an application document for people of the world file, signed and sealed. */
export function applicationFor(
  people: WorldPerson[],
  opts: {
    destination: { lgCode: string; name: string; town: string };
    today: string;
    plannedInDays?: number;
  },
): ApplicationDocument {
  const filer = people[0]!;
  return {
    version: 1,
    applicationId: randomUUID(),
    kind: "moveOut",
    filedOn: opts.today,
    origin: { lgCode: filer.lgCode, name: filer.address.city ?? "", addressLine: filer.address.line },
    destination: {
      lgCode: opts.destination.lgCode,
      name: opts.destination.name,
      town: opts.destination.town,
      chome: 1,
      block: 2,
      lot: 3,
      building: null,
    },
    plannedMoveDate: addDays(opts.today, opts.plannedInDays ?? 5),
    plannedVisitDate: addDays(opts.today, (opts.plannedInDays ?? 5) + 2),
    existingHouseholdHead: null,
    members: people.map((p, i) => ({
      position: i,
      isFiler: i === 0,
      familyName: p.name.family,
      givenName: p.name.given,
      familyKana: p.name.familyKana,
      givenKana: p.name.givenKana,
      birthDate: p.birthDate,
      relationship: i === 0 ? "head" : "other",
      cardContinuedUse: false,
    })) as ApplicationDocument["members"],
    contact: { phone: "03-0000-0000", email: "test@example.jp" },
  };
}

export async function sealed(
  doc: ApplicationDocument,
  signer: { certificatePem: string; sign(application: unknown): { digest: string; signature: string } },
  publicJwk: JWK,
  tamper?: (doc: ApplicationDocument) => ApplicationDocument,
): Promise<string> {
  const { digest, signature } = signer.sign(doc);
  const signed: SignedApplication = {
    application: (tamper ? tamper(doc) : doc) as unknown as Record<string, unknown>,
    digest,
    signature,
    signatureAlgorithm: "ECDSA-P256-SHA256",
    certificatePem: signer.certificatePem,
    signedAt: new Date().toISOString(),
  };
  return sealSignedApplication(signed, publicJwk);
}
