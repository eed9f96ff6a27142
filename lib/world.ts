import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";

/** The repository's own copy of the demo world (users of the project have no ../shared). */
export const DEFAULT_WORLD_FILE = fileURLToPath(new URL("../fixtures/world.json", import.meta.url));
export const MUNICIPALITIES_CSV = fileURLToPath(new URL("../fixtures/municipalities.csv", import.meta.url));

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "YYYY-MM-DD の日付");
const lgCode = z.string().regex(/^\d{6}$/);

const structuredAddress = z.object({
  lgCode: lgCode.optional(),
  prefecture: z.string().optional(),
  city: z.string().optional(),
  town: z.string(),
  chome: z.number().int().min(0),
  block: z.number().int().positive(),
  lot: z.number().int().positive().optional(),
  building: z.string().optional(),
  line: z.string(),
});

const certificate = z.object({
  serial: z.string(),
  expiresOn: isoDate,
  status: z.string(),
});

export const worldSchema = z.object({
  version: z.union([z.string(), z.number()]).optional(),
  municipalities: z.array(
    z.object({
      lgCode,
      prefecture: z.string(),
      name: z.string(),
      hosted: z.boolean(),
      towns: z.array(z.object({ name: z.string(), chomeMax: z.number().int().min(0) })).default([]),
    }),
  ),
  households: z.array(z.object({ id: z.string(), lgCode, address: structuredAddress })),
  people: z.array(
    z.object({
      id: z.string(),
      residentCode: z.string().regex(/^\d{11}$/),
      myNumber: z.string().regex(/^\d{12}$/),
      name: z.object({
        family: z.string(),
        given: z.string(),
        familyKana: z.string(),
        givenKana: z.string(),
      }),
      birthDate: isoDate,
      sex: z.enum(["male", "female"]),
      lgCode,
      householdId: z.string(),
      relationship: z.string(),
      address: structuredAddress,
      residentSince: isoDate,
      addressSince: isoDate,
      nationality: z.string(),
      honseki: z.object({ address: z.string(), headOfFamily: z.string() }).optional(),
      foreigner: z.record(z.unknown()).optional(),
      supportMeasure: z
        .object({ since: isoDate, until: isoDate.optional(), extendedUntil: isoDate.optional() })
        .optional(),
      card: z
        .object({
          cardNumber: z.string(),
          status: z.enum(["active", "suspended", "revoked"]),
          expiresOn: isoDate,
          authCert: certificate,
          signCert: certificate.optional(),
          pins: z.object({ auth: z.string(), assist: z.string(), sign: z.string().optional() }),
        })
        .optional(),
    }),
  ),
  staff: z.array(
    z.object({
      id: z.string(),
      lgCode,
      roles: z.array(z.enum(["clerk", "supervisor", "auditor", "admin"])),
      name: z.string(),
      password: z.string(),
    }),
  ),
});

export type World = z.infer<typeof worldSchema>;
export type WorldPerson = World["people"][number];
export type WorldMunicipality = World["municipalities"][number];

export class WorldFileError extends Error {}

/** Reads and validates the world file; errors name WORLD_FILE and the first bad field, never personal values. */
export function loadWorld(file: string = process.env.WORLD_FILE || DEFAULT_WORLD_FILE): World {
  let raw: string;
  try {
    raw = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "read error";
    throw new WorldFileError(`WORLD_FILE: cannot read ${path.resolve(file)} (${code})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new WorldFileError(`WORLD_FILE: ${path.resolve(file)} is not valid JSON`);
  }
  const parsed = worldSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new WorldFileError(
      `WORLD_FILE: ${path.resolve(file)} does not have the world shape at ${first?.path.join(".")}: ${first?.message}`,
    );
  }
  return parsed.data;
}

export function hostedMunicipalities(world: World): WorldMunicipality[] {
  return world.municipalities.filter((m) => m.hosted);
}
