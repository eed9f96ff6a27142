import { type Kysely, sql } from "kysely";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";
import type { Actor } from "./authorization.js";
import { type FourItemQuery, findByResidentCode, searchResidents } from "./search.queries.js";

/**
 * The search part of `npm run bench` (issue 3): latency of four-item searches and of 住民票コード
 * look-ups over the residents already loaded, each call as staff make it (authorized, audited,
 * committed). Queries are built from residents drawn at random, in the shapes a counter uses.
 */

export interface LatencyFigures {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

export interface SearchBenchResult {
  fourItem: LatencyFigures;
  /** Per query shape, for finding the slow one. */
  byShape: Record<string, LatencyFigures>;
  residentCode: LatencyFigures;
  /** Searches whose first page did not list the resident the query was made from. */
  misses: number;
}

function figures(ms: number[]): LatencyFigures {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? 0;
  return { n: s.length, p50: at(0.5), p99: at(0.99), max: s.at(-1) ?? 0 };
}

interface Sample {
  id: string;
  resident_code: string;
  family_name: string;
  given_name: string;
  family_kana: string;
  given_kana: string;
  birth_date: string;
  sex: "male" | "female";
  town: string;
  chome: number;
  block: number;
}

type Shape = (p: Sample) => Partial<FourItemQuery>;

/** Query shapes of a counter: name in kana or kanji, with or without birth date, sex, address. */
export const SHAPES: Record<string, Shape> = {
  kanaName: (p) => ({ name: `${p.family_kana} ${p.given_kana}` }),
  kanjiNameBirthDate: (p) => ({ name: `${p.family_name}${p.given_name}`, birthDate: p.birth_date }),
  familyKanaBirthDateSex: (p) => ({ name: p.family_kana, birthDate: p.birth_date, sex: p.sex }),
  addressBirthDate: (p) => ({
    address: `${p.town}${p.chome > 0 ? `${p.chome}-` : ""}${p.block}`,
    birthDate: p.birth_date,
  }),
};

export async function benchSearch(
  db: Kysely<BackofficeDatabase>,
  opts: {
    lgCode: string;
    actor: Actor;
    samples?: number;
    onProgress?: (done: number, total: number) => void;
  },
): Promise<SearchBenchResult> {
  const n = opts.samples ?? 500;
  const drawn = await sql<Sample>`
    select id, resident_code, family_name, given_name, family_kana, given_kana, birth_date, sex, town, chome, block
    from register.resident
    where lg_code = ${opts.lgCode} and status = 'active'
    order by random() limit ${n}`.execute(db);
  const people = drawn.rows;
  if (people.length === 0) throw new Error(`bench: no active resident in ${opts.lgCode}`);
  const purpose = "性能測定（bench）";
  const byShape: Record<string, number[]> = {};
  const all: number[] = [];
  const codes: number[] = [];
  let misses = 0;
  const shapes = Object.entries(SHAPES);
  for (let i = 0; i < people.length; i++) {
    const p = people[i]!;
    const [name, shape] = shapes[i % shapes.length]!;
    let t = performance.now();
    const page = await searchResidents(db, { lgCode: opts.lgCode, actor: opts.actor, purpose, ...shape(p) });
    const ms = performance.now() - t;
    if (!page.rows.some((r) => r.id === p.id)) misses++;
    all.push(ms);
    byShape[name] = [...(byShape[name] ?? []), ms];
    t = performance.now();
    const hit = await findByResidentCode(db, {
      lgCode: opts.lgCode,
      actor: opts.actor,
      purpose,
      residentCode: p.resident_code,
    });
    codes.push(performance.now() - t);
    if (hit?.id !== p.id) misses++;
    if (i % 50 === 49) opts.onProgress?.(i + 1, people.length);
  }
  return {
    fourItem: figures(all),
    byShape: Object.fromEntries(Object.entries(byShape).map(([k, v]) => [k, figures(v)])),
    residentCode: figures(codes),
    misses,
  };
}
