import { type Kysely, type RawBuilder, sql, type Transaction } from "kysely";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";
import { parseAddressQuery, type TownName } from "./address-query.js";
import { appendViewAudit, viewAuditInsert } from "./audit.js";
import { type Actor, authorize, authorizeOrAudit, type StaffRole } from "./authorization.js";
import { isValidMyNumber, isValidResidentCode } from "./identifiers.js";
import { type MyNumberKeys, myNumberIndex, readMyNumber } from "./my-number.js";
import { normalizeKana, normalizeName } from "./names.js";
import { type ResidentState, rowToState } from "./record.js";
import { getResident } from "./records.queries.js";

/**
 * Search of the register by staff: by 住民票コード, by 個人番号 (through its blind index), or by
 * any combination of the four items (氏名, 生年月日, 性別, 住所).
 *
 * Every search is authorized as `viewRecord` for the municipality and audited (who, which
 * municipality, why, and which records came back — ids, not personal values). Each function takes
 * the database or a transaction: given the database it runs in a transaction of its own and audits
 * a refusal in another one (so the refusal's row commits); given a transaction, the search and its
 * audit row join it and a refusal is thrown for the caller to audit (auditRefusal).
 *
 * Name ranking mirrors `nameMatchScore` (names.ts) in SQL, so the bands are the same everywhere:
 * 1 exact normalized match; 0.6–0.9 prefix; 0.3–0.6 contained; below 0.3 trigram similarity only.
 * The name is matched in tiers, and the page lists the first tier that finds anyone (`matchedBy`):
 * names that are or start with the query (b-tree); else names that contain it; else similar names
 * (a slip of the pen). A lower tier would rank below every match of a higher one, and looking
 * for it costs trigram work per record, so the common search — a name as it starts — stays a
 * b-tree range scan however common the name is.
 * A name query is matched against both keys: `name_search` (normalizeName of the name as
 * written) and `kana_search` (normalizeKana of the フリガナ), and the better score counts.
 * Exact and prefix matches come from b-tree indexes; contained and similar names from trigram
 * indexes over the stored search keys `name_key` / `kana_key` (migration
 * 2026-11-26T0520_search-indexes explains why: pg_trgm sees no kana or kanji under the C locale).
 */

export class SearchError extends Error {
  override name = "SearchError";
}

export type ResidentStatus = "active" | "moveOutScheduled" | "removed";

/** One search hit: what a clerk needs to pick the right person. Never the 個人番号. */
export interface ResidentHit {
  id: string;
  lgCode: string;
  householdId: string;
  residentCode: string;
  familyName: string;
  givenName: string;
  familyKana: string;
  givenKana: string;
  birthDate: string;
  sex: "male" | "female";
  addressLine: string;
  status: ResidentStatus;
  removedOn: string | null;
  /** 0–1; 1 when no name was asked for. */
  score: number;
}

interface CommonArgs {
  lgCode: string;
  actor: Actor;
  /** Why the search is made (事務名・利用目的): required, recorded in the audit row. */
  purpose: string;
  /** Include 除票 (removed records). Default: current records only. */
  includeRemoved?: boolean;
}

export interface FourItemQuery extends CommonArgs {
  /** Kanji or kana, full or half width, with or without spaces, old or new character forms. */
  name?: string;
  birthDate?: string;
  sex?: "male" | "female";
  /**
   * Part of the address: a town of the municipality with 丁目・番・号 in kanji, digits or hyphens
   * (業平四丁目7番11号, 業平4-7-11) is matched on the structured address; anything else (a building
   * name) on the address text, width-folded.
   */
  address?: string;
  /** Page size, 1–100 (default 20). */
  limit?: number;
  offset?: number;
}

type Db = Kysely<BackofficeDatabase>;
type Trx = Transaction<BackofficeDatabase>;

/** Runs `fn` authorized and in a transaction; see the module comment for the two modes. */
async function authorized<T>(
  db: Db,
  args: CommonArgs,
  fn: (trx: Trx, role: StaffRole) => Promise<T>,
): Promise<T> {
  if (!args.purpose?.trim()) throw new SearchError("検索の目的（purpose）を指定してください");
  if (db.isTransaction) {
    const role = authorize(args.actor, "viewRecord", args.lgCode);
    return fn(db as Trx, role);
  }
  const role = await authorizeOrAudit(db, args.actor, "viewRecord", args.lgCode);
  return db.transaction().execute((trx) => fn(trx, role));
}

const HIT_COLUMNS = sql`r.id, r.lg_code, r.household_id, r.resident_code, r.family_name, r.given_name,
  r.family_kana, r.given_kana, r.birth_date, r.sex, r.address_line, r.status, r.removed_on`;

interface HitRow {
  id: string;
  lg_code: string;
  household_id: string;
  resident_code: string;
  family_name: string;
  given_name: string;
  family_kana: string;
  given_kana: string;
  birth_date: string;
  sex: "male" | "female";
  address_line: string;
  status: ResidentStatus;
  removed_on: string | null;
  score?: number | string;
}

function toHit(r: HitRow): ResidentHit {
  return {
    id: r.id,
    lgCode: r.lg_code,
    householdId: r.household_id,
    residentCode: r.resident_code,
    familyName: r.family_name,
    givenName: r.given_name,
    familyKana: r.family_kana,
    givenKana: r.given_kana,
    birthDate: r.birth_date,
    sex: r.sex,
    addressLine: r.address_line,
    status: r.status,
    removedOn: r.removed_on,
    score: r.score === undefined ? 1 : Number(r.score),
  };
}

/** Current records only, or also 除票. A record whose creating change was cancelled ('none') never shows. */
function statusFilter(includeRemoved: boolean | undefined): RawBuilder<unknown> {
  return includeRemoved
    ? sql`r.status in ('active', 'moveOutScheduled', 'removed')`
    : sql`r.status in ('active', 'moveOutScheduled')`;
}

function auditActor(actor: Actor, role: StaffRole) {
  return { staffId: actor.staffId, role };
}

/** Prefers the current record when a 住民票コード also has 除票 here (a person who left and came back). */
const CURRENT_FIRST = sql`case r.status when 'active' then 0 when 'moveOutScheduled' then 0 else 1 end, r.removed_on desc nulls first`;

/**
 * A single-record look-up and its audit row in one statement (one round trip, one commit): the
 * read and an unlinked audit row (audit.ts: linked into the chain later, in order) that records
 * whose record came back. Authorized first; a refusal is audited in a transaction of its own.
 */
async function auditedLookup(
  db: Db,
  args: CommonArgs,
  action: string,
  where: RawBuilder<unknown>,
): Promise<ResidentHit | null> {
  if (!args.purpose?.trim()) throw new SearchError("検索の目的（purpose）を指定してください");
  const role = db.isTransaction
    ? authorize(args.actor, "viewRecord", args.lgCode)
    : await authorizeOrAudit(db, args.actor, "viewRecord", args.lgCode);
  const logged = viewAuditInsert(
    {
      lgCode: args.lgCode,
      actor: auditActor(args.actor, role),
      action,
      purpose: args.purpose,
    },
    {
      subject: sql`(select id::text from hit)`,
      detail: sql`jsonb_build_object('found', exists (select 1 from hit), 'includeRemoved', ${Boolean(args.includeRemoved)}::boolean)`,
    },
  );
  const found = await sql<HitRow & { logged: number }>`
    with hit as (
      select ${HIT_COLUMNS} from register.resident r
      where r.lg_code = ${args.lgCode} and ${where} and ${statusFilter(args.includeRemoved)}
      order by ${CURRENT_FIRST} limit 1),
    logged as (${logged} returning id)
    select hit.*, (select count(*) from logged)::int as logged from (select 1) as one left join hit on true`.execute(
    db,
  );
  const row = found.rows[0];
  if (row?.logged !== 1) throw new SearchError("監査ログに記録できませんでした");
  return row.id ? toHit(row) : null;
}

/** By 住民票コード: the current record, or with includeRemoved the newest 除票 when there is none. */
export async function findByResidentCode(
  db: Db,
  args: CommonArgs & { residentCode: string },
): Promise<ResidentHit | null> {
  if (!isValidResidentCode(args.residentCode)) {
    throw new SearchError("住民票コードは 11 桁の数字で、チェックデジットが正しくなければなりません");
  }
  return auditedLookup(db, args, "search.residentCode", sql`r.resident_code = ${args.residentCode}`);
}

/**
 * By 個人番号, through the blind index; audited as a use of the 個人番号 (`myNumber.search`)
 * whether or not anyone is found. The number itself is never stored, logged or echoed.
 */
export async function findByMyNumber(
  db: Db,
  args: CommonArgs & { myNumber: string },
  keys: MyNumberKeys,
): Promise<ResidentHit | null> {
  if (!isValidMyNumber(args.myNumber)) {
    throw new SearchError("個人番号は 12 桁の数字で、チェックデジットが正しくなければなりません");
  }
  const index = myNumberIndex(args.myNumber, keys);
  return auditedLookup(db, args, "myNumber.search", sql`r.my_number_index = ${index}`);
}

/** LIKE pattern text with its wildcards escaped (the default escape character is the backslash). */
function likeEscape(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * The search key of migration 2026-11-26T0520 (`register.search_key`), computed here for the
 * query so that the LIKE pattern is a constant the trigram index can use: four hex digits per
 * character, a bijective scramble of its code point modulo the prime 65521.
 */
export function searchKey(s: string): string {
  let out = "";
  for (const ch of s) {
    out += ((ch.codePointAt(0)! * 40503) % 65521).toString(16).padStart(4, "0");
  }
  return out;
}

/**
 * Similarity of search keys from which a name that neither starts with nor contains the query
 * still counts as a near miss: one changed character in a six-character name stays above it
 * (スミダタロウ/スミタタロウ 0.66, 墨田太郎/墨田太朗 0.55); names sharing one character of three stay below.
 */
export const NEAR_MISS_THRESHOLD = 0.5;

/** A normalized name key and its stored search key (migration 2026-11-26T0520). */
interface KeyColumns {
  key: RawBuilder<unknown>;
  searchKey: RawBuilder<unknown>;
}
const NAME: KeyColumns = { key: sql`r.name_search`, searchKey: sql`r.name_key` };
const KANA: KeyColumns = { key: sql`r.kana_search`, searchKey: sql`r.kana_key` };
/** The same keys in the match set of a ranked page (rankedPage in searchResidents). */
const MATCHED_NAME: KeyColumns = { key: sql`m.name_search`, searchKey: sql`null` };
const MATCHED_KANA: KeyColumns = { key: sql`m.kana_search`, searchKey: sql`null` };

/**
 * The SQL twin of nameMatchScore for a key column and an already-normalized query: exact,
 * prefix and contained are decided on the key itself; below them, trigram similarity of the
 * search keys, scaled into [0, 0.3) so that it never outranks a contained match.
 * Without `similarity`, that last band is 0: for rows where either key is or contains the query
 * (the prefix and contains tiers) the better score is ≥ 0.3 and the similarity band never counts.
 */
function scoreSql(k: KeyColumns, q: string, similarity = true): RawBuilder<number> {
  const qLen = [...q].length;
  const below = similarity ? sql`0.299 * similarity(${k.searchKey}, ${searchKey(q)})` : sql`0`;
  return sql<number>`case
    when ${k.key} = ${q} then 1.0
    when ${k.key} like ${`${likeEscape(q)}%`} then 0.6 + 0.3 * ${qLen}::float8 / greatest(char_length(${k.key}), 1)
    when strpos(${k.key}, ${q}) > 0 then 0.3 + 0.3 * ${qLen}::float8 / greatest(char_length(${k.key}), 1)
    else ${below} end`;
}

/** The key starts with the query (b-tree, text_pattern_ops). */
function prefixMatch(k: KeyColumns, q: string): RawBuilder<boolean> {
  return sql<boolean>`${k.key} like ${`${likeEscape(q)}%`}`;
}

/**
 * The key contains the query: indexed LIKE on the search key, rechecked on the key with strpos so
 * that a match across a character boundary does not count. strpos rather than LIKE: a trigram
 * index on the key itself (useless under the C locale, where it holds no trigram for kana or
 * kanji) must not tempt the planner.
 */
function containsMatch(k: KeyColumns, q: string): RawBuilder<boolean> {
  return sql<boolean>`(${k.searchKey} like ${`%${searchKey(q)}%`} and strpos(${k.key}, ${q}) > 0)`;
}

/** The search key is similar: pg_trgm's `%`, above pg_trgm.similarity_threshold (set by the search). */
function nearMatch(k: KeyColumns, q: string): RawBuilder<boolean> {
  return sql<boolean>`${k.searchKey} % ${searchKey(q)}`;
}

/** The address key: NFKC, no spaces of either width. */
export function normalizeAddress(s: string): string {
  return s.normalize("NFKC").replace(/\s+/gu, "");
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

export type NameTier = "prefix" | "contains" | "similar";

export interface SearchPage {
  total: number;
  limit: number;
  offset: number;
  /**
   * Which tier of name matching found these rows (see the module comment): `prefix` (the name is
   * or starts with the query), `contains`, or `similar`; null when no name was asked for.
   */
  matchedBy: NameTier | null;
  rows: ResidentHit[];
}

/**
 * Four-item search (4情報検索): any combination of name, birth date, sex and address; at least one
 * of name, birth date and address (sex alone would list half the town). Ranked by name score,
 * then kana order; paginated with the total.
 */
export async function searchResidents(db: Db, query: FourItemQuery): Promise<SearchPage> {
  const limit = query.limit ?? 20;
  const offset = query.offset ?? 0;
  if (!Number.isInteger(limit) || limit < 1 || limit > 100)
    throw new SearchError("件数は 1〜100 で指定してください");
  if (!Number.isInteger(offset) || offset < 0) throw new SearchError("開始位置は 0 以上で指定してください");
  const qName = query.name ? normalizeName(query.name) : "";
  const qKana = query.name ? normalizeKana(query.name) : "";
  const qAddress = query.address ? normalizeAddress(query.address) : "";
  if (query.birthDate !== undefined && !ISO_DATE.test(query.birthDate)) {
    throw new SearchError("生年月日は YYYY-MM-DD で指定してください");
  }
  if (query.sex !== undefined && query.sex !== "male" && query.sex !== "female") {
    throw new SearchError("性別は male または female で指定してください");
  }
  if (!qName && !query.birthDate && !qAddress) {
    throw new SearchError("氏名・生年月日・住所のいずれかを指定してください");
  }

  return authorized(db, query, async (trx, role) => {
    const filters: RawBuilder<unknown>[] = [
      sql`r.lg_code = ${query.lgCode}`,
      statusFilter(query.includeRemoved),
    ];
    if (query.birthDate) filters.push(sql`r.birth_date = ${query.birthDate}::date`);
    if (query.sex) filters.push(sql`r.sex = ${query.sex}`);
    if (qAddress) {
      // The town and numbers go to the b-tree on the structured address; the text is matched only
      // for what could not be read that way (a building name, or no known town at all).
      const towns = await sql<{ towns: TownName[] }>`
        select towns from register.municipality where lg_code = ${query.lgCode}`.execute(trx);
      const parsed = parseAddressQuery(qAddress, towns.rows[0]?.towns ?? []);
      if (parsed) {
        filters.push(sql`r.town = ${parsed.town}`);
        if (parsed.chome !== undefined) filters.push(sql`r.chome = ${parsed.chome}`);
        if (parsed.block !== undefined) filters.push(sql`r.block = ${parsed.block}`);
        if (parsed.lot !== undefined) filters.push(sql`r.lot = ${parsed.lot}`);
      }
      if (!parsed?.complete) {
        filters.push(
          sql`replace(replace(normalize(r.address_line, NFKC), ' ', ''), '　', '') like ${`%${likeEscape(qAddress)}%`}`,
        );
      }
    }
    let score: RawBuilder<number> = sql<number>`1.0`;
    // Each tier: its condition on either key, as one condition or as one branch per key.
    const tiers: [NameTier, [RawBuilder<unknown>, RawBuilder<unknown>]][] = [];
    if (qName) {
      score = sql<number>`greatest(${scoreSql(NAME, qName)}, ${scoreSql(KANA, qKana)})`;
      tiers.push(
        ["prefix", [prefixMatch(NAME, qName), prefixMatch(KANA, qKana)]],
        ["contains", [containsMatch(NAME, qName), containsMatch(KANA, qKana)]],
        ["similar", [nearMatch(NAME, qName), nearMatch(KANA, qKana)]],
      );
    }
    const page = async (where: RawBuilder<unknown>) => {
      const found = await sql<HitRow & { total: number | string }>`
        select ${HIT_COLUMNS}, ${score} as score, count(*) over () as total
        from register.resident r
        where ${where}
        order by score desc, r.kana_search, r.name_search, r.birth_date, r.id
        limit ${limit} offset ${offset}`.execute(trx);
      let total = found.rows[0] ? Number(found.rows[0].total) : 0;
      if (found.rows.length === 0 && offset > 0) {
        // Past the last page: the window count is empty, so count separately.
        const c = await sql<{ n: number | string }>`
          select count(*) as n from register.resident r where ${where}`.execute(trx);
        total = Number(c.rows[0]?.n ?? 0);
      }
      return { found, total };
    };
    /**
     * A name tier where either key is or contains the query: the match set is the union of one
     * branch per key, each read from the key's covering index alone (migration
     * 2026-11-26T0650: key, kana/name, birth date, sex, status and id), ranked there, and only
     * the page's rows are read from the table. A common name matches thousands of records;
     * reading each of them from the table was the slow case. The order is page()'s.
     */
    const rankedPage = async (branches: RawBuilder<unknown>[]) => {
      const base = sql.join(filters, sql` and `);
      const union = sql.join(
        branches.map(
          (b) => sql`select r.id, r.name_search, r.kana_search, r.birth_date from register.resident r
            where ${base} and ${b}`,
        ),
        sql` union `,
      );
      const matchedScore = sql`greatest(${scoreSql(MATCHED_NAME, qName, false)}, ${scoreSql(MATCHED_KANA, qKana, false)})`;
      const found = await sql<HitRow & { total: number | string }>`
        with m as (${union}),
        ranked as (
          select m.id, ${matchedScore} as score, m.kana_search, m.name_search, m.birth_date,
                 count(*) over () as total
          from m order by score desc, m.kana_search, m.name_search, m.birth_date, m.id
          limit ${limit} offset ${offset})
        select ${HIT_COLUMNS}, ranked.score, ranked.total
        from ranked join register.resident r on r.id = ranked.id
        order by ranked.score desc, ranked.kana_search, ranked.name_search, ranked.birth_date, ranked.id`.execute(
        trx,
      );
      let total = found.rows[0] ? Number(found.rows[0].total) : 0;
      if (found.rows.length === 0 && offset > 0) {
        const c = await sql<{ n: number | string }>`select count(*) as n from (${union}) as m`.execute(trx);
        total = Number(c.rows[0]?.n ?? 0);
      }
      return { found, total };
    };
    let matchedBy: NameTier | null = null;
    let result = tiers.length === 0 ? await page(sql.join(filters, sql` and `)) : null;
    for (const [tier, [name, kana]] of tiers) {
      if (tier === "similar") {
        // pg_trgm's `%` reads its threshold from this setting (for the rest of the transaction).
        await sql`select set_config('pg_trgm.similarity_threshold', ${String(NEAR_MISS_THRESHOLD)}, true)`.execute(
          trx,
        );
        result = await page(sql.join([...filters, sql`(${name} or ${kana})`], sql` and `));
      } else {
        result = await rankedPage([name, kana]);
      }
      matchedBy = tier;
      if (result.total > 0) break;
    }
    const { found, total } = result!;
    if (total === 0) matchedBy = null;
    const rows = found.rows.map(toHit);
    await appendViewAudit(trx, {
      lgCode: query.lgCode,
      actor: auditActor(query.actor, role),
      action: "search.fourItems",
      subjectResidentId: rows.length === 1 ? rows[0]!.id : null,
      purpose: query.purpose,
      detail: {
        // Which items were used, not their values: the log is kept forever.
        criteria: [
          ...(qName ? ["name"] : []),
          ...(query.birthDate ? ["birthDate"] : []),
          ...(query.sex ? ["sex"] : []),
          ...(qAddress ? ["address"] : []),
        ],
        includeRemoved: Boolean(query.includeRemoved),
        matchedBy,
        total,
        offset,
        resultIds: rows.map((r) => r.id),
      },
    });
    return { total, limit, offset, matchedBy, rows };
  });
}

/** A record as staff see it: every item but the sealed 個人番号, which comes only when asked for. */
export type ResidentView = Omit<ResidentState, "myNumberCipher" | "myNumberIndex"> & {
  id: string;
  version: number;
  /** Whether a 個人番号 is recorded (without reading it). */
  hasMyNumber: boolean;
  /** Present only when asked for with `withMyNumber` (a separately audited read). */
  myNumber?: string | null;
};

/**
 * Opens one record (住民票の閲覧): authorized as `viewRecord`, audited as `record.view` with whose
 * record and why. With `withMyNumber` (and the keys), the 個人番号 is read through readMyNumber,
 * which writes its own `myNumber.read` row. A 除票 opens only with `includeRemoved`.
 */
export async function viewResident(
  db: Db,
  args: CommonArgs & { residentId: string; withMyNumber?: boolean },
  keys?: MyNumberKeys,
): Promise<ResidentView | null> {
  if (args.withMyNumber && !keys) throw new SearchError("個人番号を表示するには鍵が必要です");
  if (!/^[0-9a-f-]{36}$/i.test(args.residentId)) throw new SearchError("住民 ID の形式が正しくありません");
  return authorized(db, args, async (trx, role) => {
    const row = await getResident(trx, args.residentId);
    const visible =
      row &&
      row.lg_code === args.lgCode &&
      (row.status === "active" ||
        row.status === "moveOutScheduled" ||
        (args.includeRemoved && row.status === "removed"));
    await appendViewAudit(trx, {
      lgCode: args.lgCode,
      actor: auditActor(args.actor, role),
      action: "record.view",
      subjectResidentId: visible ? row.id : null,
      purpose: args.purpose,
      detail: {
        found: Boolean(visible),
        includeRemoved: Boolean(args.includeRemoved),
        withMyNumber: Boolean(args.withMyNumber),
      },
    });
    if (!visible) return null;
    const { myNumberCipher, myNumberIndex: _index, ...state } = rowToState(row);
    const view: ResidentView = {
      ...state,
      id: row.id,
      version: row.version,
      hasMyNumber: myNumberCipher !== null,
    };
    if (args.withMyNumber && keys) {
      view.myNumber = await readMyNumber(
        trx,
        {
          residentId: row.id,
          lgCode: args.lgCode,
          actor: auditActor(args.actor, role),
          purpose: args.purpose,
        },
        keys,
      );
    }
    return view;
  });
}
