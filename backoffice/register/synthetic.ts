/**
 * Synthetic residents for scale (issue 3, item 9): realistic Japanese households (1–6 people,
 * names with kana, a few foreign residents), on the municipality's real town names, with valid
 * check digits and codes that are unique across runs. Loaded with COPY, each record with its
 * first history row (so the record still equals its history replayed) in one transaction.
 *
 * Codes: 住民票コード "99" + an 8-digit counter, 個人番号 "99" + a 9-digit counter, each with its
 * check digit; the counter continues from the residents earlier runs loaded, so runs never collide
 * with each other (a real or seeded code in that range would make the load fail as a whole).
 */
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { pathToFileURL } from "node:url";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { Kysely, PostgresDialect, sql } from "kysely";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import type { BackofficeDatabase } from "../../db/types/backoffice.js";
import { appendAudit } from "./audit.js";
import { makeMyNumber, makeResidentCode } from "./identifiers.js";
import { type MyNumberKeys, sealMyNumber } from "./my-number.js";
import {
  diffRecords,
  formatAddressLine,
  HEAD,
  kanjiNumber,
  type ResidentState,
  stateToRow,
} from "./record.js";
import { addDays, daysBetween, type IsoDate } from "./time-rules.js";
import type { Municipality } from "./validation.js";

// ---------------------------------------------------------------------------------------------
// Names (common surnames and given names, with their usual readings; some old-form kanji on
// purpose, so that search has variants to fold)

const SURNAMES: readonly [string, string][] = [
  ["佐藤", "サトウ"],
  ["鈴木", "スズキ"],
  ["高橋", "タカハシ"],
  ["田中", "タナカ"],
  ["伊藤", "イトウ"],
  ["渡辺", "ワタナベ"],
  ["山本", "ヤマモト"],
  ["中村", "ナカムラ"],
  ["小林", "コバヤシ"],
  ["加藤", "カトウ"],
  ["吉田", "ヨシダ"],
  ["山田", "ヤマダ"],
  ["佐々木", "ササキ"],
  ["山口", "ヤマグチ"],
  ["松本", "マツモト"],
  ["井上", "イノウエ"],
  ["木村", "キムラ"],
  ["林", "ハヤシ"],
  ["斎藤", "サイトウ"],
  ["清水", "シミズ"],
  ["山崎", "ヤマザキ"],
  ["森", "モリ"],
  ["池田", "イケダ"],
  ["橋本", "ハシモト"],
  ["阿部", "アベ"],
  ["石川", "イシカワ"],
  ["山下", "ヤマシタ"],
  ["中島", "ナカジマ"],
  ["石井", "イシイ"],
  ["小川", "オガワ"],
  ["前田", "マエダ"],
  ["岡田", "オカダ"],
  ["長谷川", "ハセガワ"],
  ["藤田", "フジタ"],
  ["後藤", "ゴトウ"],
  ["近藤", "コンドウ"],
  ["村上", "ムラカミ"],
  ["遠藤", "エンドウ"],
  ["青木", "アオキ"],
  ["坂本", "サカモト"],
  ["斉藤", "サイトウ"],
  ["福田", "フクダ"],
  ["太田", "オオタ"],
  ["西村", "ニシムラ"],
  ["藤井", "フジイ"],
  ["金子", "カネコ"],
  ["岡本", "オカモト"],
  ["藤原", "フジワラ"],
  ["中野", "ナカノ"],
  ["三浦", "ミウラ"],
  ["原田", "ハラダ"],
  ["中川", "ナカガワ"],
  ["松田", "マツダ"],
  ["竹内", "タケウチ"],
  ["小野", "オノ"],
  ["田村", "タムラ"],
  ["中山", "ナカヤマ"],
  ["和田", "ワダ"],
  ["石田", "イシダ"],
  ["森田", "モリタ"],
  ["上田", "ウエダ"],
  ["原", "ハラ"],
  ["内田", "ウチダ"],
  ["柴田", "シバタ"],
  ["酒井", "サカイ"],
  ["宮崎", "ミヤザキ"],
  ["横山", "ヨコヤマ"],
  ["高木", "タカギ"],
  ["安藤", "アンドウ"],
  ["宮本", "ミヤモト"],
  ["髙橋", "タカハシ"],
  ["渡邊", "ワタナベ"],
  ["齋藤", "サイトウ"],
  ["山﨑", "ヤマザキ"],
  ["濱田", "ハマダ"],
  ["吾妻", "アヅマ"],
  ["隅田", "スミダ"],
  ["向井", "ムカイ"],
  ["菊池", "キクチ"],
  ["久保", "クボ"],
];

const MALE_NAMES: readonly [string, string][] = [
  ["翔太", "ショウタ"],
  ["大輔", "ダイスケ"],
  ["拓也", "タクヤ"],
  ["健太", "ケンタ"],
  ["直樹", "ナオキ"],
  ["誠", "マコト"],
  ["浩", "ヒロシ"],
  ["隆", "タカシ"],
  ["学", "マナブ"],
  ["哲也", "テツヤ"],
  ["和也", "カズヤ"],
  ["雄一", "ユウイチ"],
  ["達也", "タツヤ"],
  ["大樹", "ダイキ"],
  ["陸", "リク"],
  ["蓮", "レン"],
  ["悠真", "ユウマ"],
  ["湊", "ミナト"],
  ["陽翔", "ハルト"],
  ["蒼", "アオイ"],
  ["樹", "イツキ"],
  ["大翔", "ヒロト"],
  ["颯太", "ソウタ"],
  ["悠人", "ユウト"],
  ["健一", "ケンイチ"],
  ["修", "オサム"],
  ["茂", "シゲル"],
  ["清", "キヨシ"],
  ["勇", "イサム"],
  ["一郎", "イチロウ"],
  ["健二", "ケンジ"],
  ["正人", "マサト"],
  ["光", "ヒカル"],
  ["亮", "リョウ"],
  ["剛", "ツヨシ"],
  ["秀樹", "ヒデキ"],
  ["俊介", "シュンスケ"],
  ["康平", "コウヘイ"],
  ["智也", "トモヤ"],
  ["優斗", "ユウト"],
];

const FEMALE_NAMES: readonly [string, string][] = [
  ["陽菜", "ヒナ"],
  ["結衣", "ユイ"],
  ["葵", "アオイ"],
  ["さくら", "サクラ"],
  ["美咲", "ミサキ"],
  ["愛", "アイ"],
  ["花子", "ハナコ"],
  ["恵子", "ケイコ"],
  ["洋子", "ヨウコ"],
  ["幸子", "サチコ"],
  ["和子", "カズコ"],
  ["久美子", "クミコ"],
  ["由美", "ユミ"],
  ["真由美", "マユミ"],
  ["智子", "トモコ"],
  ["裕子", "ユウコ"],
  ["明美", "アケミ"],
  ["直美", "ナオミ"],
  ["香織", "カオリ"],
  ["彩", "アヤ"],
  ["舞", "マイ"],
  ["瞳", "ヒトミ"],
  ["遥", "ハルカ"],
  ["結菜", "ユイナ"],
  ["凛", "リン"],
  ["芽依", "メイ"],
  ["紬", "ツムギ"],
  ["莉子", "リコ"],
  ["美月", "ミツキ"],
  ["千尋", "チヒロ"],
  ["奈々", "ナナ"],
  ["彩花", "アヤカ"],
  ["優子", "ユウコ"],
  ["恵", "メグミ"],
  ["静香", "シズカ"],
  ["みどり", "ミドリ"],
  ["文子", "フミコ"],
  ["節子", "セツコ"],
  ["トメ", "トメ"],
  ["春香", "ハルカ"],
];

/** Foreign residents: family name, kana, nationality, given names (male, female). */
const FOREIGN: readonly {
  family: [string, string];
  nationality: string;
  male: [string, string];
  female: [string, string];
}[] = [
  {
    family: ["NGUYEN", "グエン"],
    nationality: "VN",
    male: ["VAN AN", "ヴァン アン"],
    female: ["THI HOA", "ティ ホア"],
  },
  {
    family: ["TRAN", "チャン"],
    nationality: "VN",
    male: ["MINH DUC", "ミン ドゥック"],
    female: ["THI LAN", "ティ ラン"],
  },
  { family: ["KIM", "キム"], nationality: "KR", male: ["MINJUN", "ミンジュン"], female: ["JIWOO", "ジウ"] },
  { family: ["PARK", "パク"], nationality: "KR", male: ["SEOJUN", "ソジュン"], female: ["HAEUN", "ハウン"] },
  { family: ["WANG", "ワン"], nationality: "CN", male: ["WEI", "ウェイ"], female: ["FANG", "ファン"] },
  { family: ["LI", "リ"], nationality: "CN", male: ["HAO", "ハオ"], female: ["MEI", "メイ"] },
  { family: ["SANTOS", "サントス"], nationality: "PH", male: ["JOSE", "ホセ"], female: ["MARIA", "マリア"] },
  { family: ["SILVA", "シルバ"], nationality: "BR", male: ["LUCAS", "ルーカス"], female: ["ANA", "アナ"] },
  { family: ["SHRESTHA", "シュレスタ"], nationality: "NP", male: ["RAJ", "ラジ"], female: ["SITA", "シタ"] },
];

const STATUSES = [
  "技術・人文知識・国際業務",
  "留学",
  "家族滞在",
  "技能実習",
  "特定技能",
  "永住者",
  "日本人の配偶者等",
];
const BUILDINGS = ["ハイツ", "コーポ", "メゾン", "レジデンス", "パレス", "コート", "荘"];

// ---------------------------------------------------------------------------------------------
// Deterministic randomness (mulberry32), so a seed reproduces a population

export type Rng = () => number;

export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(rng: Rng, list: readonly T[]): T {
  return list[Math.floor(rng() * list.length)]!;
}

function int(rng: Rng, min: number, max: number): number {
  return min + Math.floor(rng() * (max - min + 1));
}

/** Household sizes roughly as in a Tokyo ward (many singles, few large households). */
const SIZE_WEIGHTS = [0, 0.42, 0.26, 0.15, 0.12, 0.04, 0.01];

function householdSize(rng: Rng): number {
  let r = rng();
  for (let size = 1; size <= 6; size++) {
    r -= SIZE_WEIGHTS[size]!;
    if (r < 0) return size;
  }
  return 1;
}

// ---------------------------------------------------------------------------------------------
// Generation

export interface SyntheticPerson {
  id: string;
  /** 個人番号 in clear: sealed by the loader, never written anywhere as is. */
  myNumber: string;
  state: ResidentState;
}

export interface SyntheticHousehold {
  id: string;
  members: SyntheticPerson[];
}

export interface GenerateOptions {
  municipality: Pick<Municipality, "lgCode" | "prefecture" | "name" | "towns">;
  /** Residents to generate (the last household is cut to fit). */
  count: number;
  seed: number;
  today: IsoDate;
  /** First value of the code counter (see the file's comment). */
  startCounter: number;
}

export const RESIDENT_CODE_PREFIX = "99";
export const MY_NUMBER_PREFIX = "99";
export const MAX_COUNTER = 99_999_999;

export function syntheticResidentCode(n: number): string {
  return makeResidentCode(`${RESIDENT_CODE_PREFIX}${String(n).padStart(8, "0")}`);
}

export function syntheticMyNumber(n: number): string {
  return makeMyNumber(`${MY_NUMBER_PREFIX}${String(n).padStart(9, "0")}`);
}

function birthDateAged(rng: Rng, today: IsoDate, minAge: number, maxAge: number): IsoDate {
  const days = int(rng, minAge * 365 + 1, maxAge * 365 + 300);
  return addDays(today, -days);
}

function laterOf(a: IsoDate, b: IsoDate): IsoDate {
  return daysBetween(a, b) > 0 ? b : a;
}

/** Generates households until `count` residents; pure given the options. */
export function* generateHouseholds(opts: GenerateOptions): Generator<SyntheticHousehold> {
  const rng = createRng(opts.seed);
  const towns =
    opts.municipality.towns.length > 0 ? opts.municipality.towns : [{ name: "本町", chomeMax: 3 }];
  let counter = opts.startCounter;
  let made = 0;
  while (made < opts.count) {
    const size = Math.min(householdSize(rng), opts.count - made);
    const householdId = randomUUID();
    const town = pick(rng, towns);
    const chome = town.chomeMax > 0 ? int(rng, 1, town.chomeMax) : 0;
    const block = int(rng, 1, 30);
    const lot = int(rng, 1, 25);
    const foreign = rng() < 0.04 ? pick(rng, FOREIGN) : null;
    const [family, familyKana] = foreign ? foreign.family : pick(rng, SURNAMES);
    const building =
      rng() < 0.45 ? `${town.name}${pick(rng, BUILDINGS)}${int(rng, 1, 12)}0${int(rng, 1, 9)}` : null;
    const address = { town: town.name, chome, block, lot, building };
    const addressLine = formatAddressLine(opts.municipality, address);
    const honseki = `${opts.municipality.prefecture}${opts.municipality.name}${town.name}${chome > 0 ? `${kanjiNumber(chome)}丁目` : ""}${block}番地`;

    // Composition: head; a spouse (most households of 2+); children; sometimes a parent.
    const headMale = rng() < 0.6;
    const headAge = size === 1 ? int(rng, 19, 92) : int(rng, 28, 70);
    const plan: { relationship: string; male: boolean; minAge: number; maxAge: number }[] = [
      { relationship: HEAD, male: headMale, minAge: headAge, maxAge: headAge },
    ];
    let parentAdded = false;
    for (let i = 1; i < size; i++) {
      if (i === 1 && rng() < 0.85) {
        plan.push({
          relationship: headMale ? "妻" : "夫",
          male: !headMale,
          minAge: Math.max(18, headAge - 8),
          maxAge: headAge + 5,
        });
      } else if (!parentAdded && headAge < 60 && rng() < 0.15) {
        parentAdded = true;
        const male = rng() < 0.4;
        plan.push({
          relationship: male ? "父" : "母",
          male,
          minAge: headAge + 22,
          maxAge: Math.min(headAge + 38, 100),
        });
      } else {
        plan.push({
          relationship: "子",
          male: rng() < 0.5,
          minAge: 0,
          maxAge: Math.max(0, Math.min(headAge - 20, 40)),
        });
      }
    }

    const members: SyntheticPerson[] = [];
    const headName = { family, given: "" };
    for (const p of plan) {
      if (counter > MAX_COUNTER) throw new RangeError("synthetic code range exhausted");
      const n = counter++;
      const [given, givenKana] = foreign
        ? p.male
          ? foreign.male
          : foreign.female
        : pick(rng, p.male ? MALE_NAMES : FEMALE_NAMES);
      if (p.relationship === HEAD) headName.given = given;
      const birthDate = birthDateAged(rng, opts.today, p.minAge, p.maxAge);
      const residentSince = laterOf(birthDate, addDays(opts.today, -int(rng, 30, 40 * 365)));
      const myNumber = syntheticMyNumber(n);
      const foreigner = foreign
        ? {
            category: "中長期在留者" as const,
            becameResidentOn: residentSince,
            status: pick(rng, STATUSES),
            periodOfStay: pick(rng, ["1年", "3年", "5年"]),
            periodExpiresOn: addDays(opts.today, int(rng, 30, 1500)),
            residenceCardNumber: `${String.fromCharCode(65 + int(rng, 0, 25))}${String.fromCharCode(65 + int(rng, 0, 25))}${String(n).padStart(8, "0")}${String.fromCharCode(65 + int(rng, 0, 25))}${String.fromCharCode(65 + int(rng, 0, 25))}`,
            alias: null,
          }
        : null;
      members.push({
        id: randomUUID(),
        myNumber,
        state: {
          lgCode: opts.municipality.lgCode,
          householdId,
          relationship: p.relationship,
          residentCode: syntheticResidentCode(n),
          myNumberCipher: null,
          myNumberIndex: null,
          familyName: family,
          givenName: given,
          familyKana,
          givenKana,
          birthDate,
          sex: p.male ? "male" : "female",
          nationality: foreign ? foreign.nationality : "JP",
          honseki: foreign ? null : honseki,
          honsekiHead: foreign ? null : `${headName.family}${headName.given}`,
          foreigner,
          residentSince,
          addressSince: residentSince,
          addressNotifiedOn: residentSince,
          previousAddress: null,
          ...address,
          addressLine,
          qualifications: {},
          moveOut: null,
          status: "active",
          removalReason: null,
          removedOn: null,
          retainUntil: null,
        },
      });
    }
    made += members.length;
    yield { id: householdId, members };
  }
}

// COPY

const NEEDS_ESCAPE = /[\\\n\r\t]/;

/** One value in COPY's text format. */
function copyValue(v: unknown): string {
  if (v === null || v === undefined) return "\\N";
  if (Buffer.isBuffer(v)) return `\\\\x${v.toString("hex")}`;
  const s = typeof v === "string" ? v : String(v);
  if (!NEEDS_ESCAPE.test(s)) return s;
  return s.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/\r/g, "\\r").replace(/\t/g, "\\t");
}

function copyLine(values: readonly unknown[]): string {
  return `${values.map(copyValue).join("\t")}\n`;
}

const CHANGE_COLUMNS = [
  "id",
  "lg_code",
  "resident_id",
  "request_key",
  "kind",
  "origin",
  "effective_date",
  "system_actor",
  "reason",
  "before",
  "after",
] as const;

export const SYNTHETIC_ACTOR = { system: "synthetic" } as const;

export interface LoadOptions {
  lgCode: string;
  count: number;
  seed?: number;
  today: IsoDate;
  keys: MyNumberKeys;
  /** Residents per chunk: one unit of generation and one COPY round (households, residents, history). */
  batchSize?: number;
  /**
   * Worker threads that generate and seal the chunks while this thread streams them to
   * PostgreSQL. Default: none below 50,000 residents, else 2. The population does not depend on it.
   */
  workers?: number;
  /**
   * Bulk load (a municipality's first load, in a maintenance window): the secondary indexes and
   * the unique, exclusion and foreign-key constraints of register.household, register.resident and
   * register.resident_change are dropped at the start of the load's transaction and rebuilt from
   * their catalog definitions before it commits — one sort per index instead of a million index
   * insertions, and every constraint validated over the whole table. Needs the owner of those
   * tables (not the back office's role) and a municipality without residents; the tables stay
   * locked (ACCESS EXCLUSIVE) for every municipality until the load commits. All or nothing as
   * always: a failure rolls the drops back too.
   */
  bulk?: boolean;
  onProgress?: (loaded: number, total: number, elapsedMs: number) => void;
  /** Called with the time each phase took (bulk: generate+copy, indexes, constraints). */
  onPhase?: (phase: string, elapsedMs: number) => void;
}

export interface LoadResult {
  residents: number;
  households: number;
  elapsedMs: number;
  rowsPerSecond: number;
  firstResidentCode: string;
}

/** One unit of generation: residents [start, start + count) of the run, codes from `startCounter`. */
interface ChunkTask {
  index: number;
  count: number;
  startCounter: number;
  seed: number;
}

/** What a chunk becomes: COPY text (UTF-8) for the three tables. */
interface ChunkData {
  index: number;
  residents: number;
  households: number;
  householdLines: Uint8Array;
  residentLines: Uint8Array;
  changeLines: Uint8Array;
}

/** Everything a chunk's generation needs besides the task (sent once to each worker). */
interface ChunkContext {
  municipality: Pick<Municipality, "lgCode" | "prefecture" | "name" | "towns">;
  today: IsoDate;
  runKey: string;
  residentColumns: string[];
  encryptionKey: Uint8Array;
  indexKey: Uint8Array;
}

/** A chunk's own seed: the run's seed mixed with the chunk's index (golden-ratio step). */
function chunkSeed(seed: number, index: number): number {
  return (seed + Math.imul(index, 0x9e3779b9)) >>> 0;
}

/** Each encoded chunk owns its ArrayBuffer, so a worker can hand it over without a copy. */
const utf8 = new TextEncoder();

/** The history row's constant columns, as COPY text. */
const CHANGE_CONSTANTS = ["exOfficioEntry", "exOfficio"].join("\t");
const CHANGE_REASON = copyValue("合成データ（負荷試験用）");

/** Generates one chunk's households, seals the 個人番号 and writes the COPY text (pure but for UUIDs and IVs). */
function encodeChunk(ctx: ChunkContext, task: ChunkTask): ChunkData {
  const keys: MyNumberKeys = {
    encryptionKey: Buffer.from(ctx.encryptionKey),
    indexKey: Buffer.from(ctx.indexKey),
  };
  let h = "";
  let r = "";
  let c = "";
  let residents = 0;
  let households = 0;
  const lgCode = ctx.municipality.lgCode;
  const changePrefix = `\t${lgCode}\t`;
  const changeMiddle = `\t${copyValue(ctx.runKey)}\t${CHANGE_CONSTANTS}\t`;
  const changeActor = `\t${SYNTHETIC_ACTOR.system}\t${CHANGE_REASON}\t`;
  for (const household of generateHouseholds({
    municipality: ctx.municipality,
    count: task.count,
    seed: task.seed,
    today: ctx.today,
    startCounter: task.startCounter,
  })) {
    households++;
    h += `${household.id}\t${lgCode}\n`;
    for (const p of household.members) {
      residents++;
      const sealed = sealMyNumber(p.myNumber, keys);
      const state: ResidentState = p.state;
      state.myNumberCipher = sealed.cipher.toString("base64");
      state.myNumberIndex = sealed.index.toString("base64");
      const row = stateToRow(p.id, state, 1) as Record<string, unknown>;
      r += copyLine(ctx.residentColumns.map((col) => row[col]));
      const diff = diffRecords(null, state);
      c += `${randomUUID()}${changePrefix}${p.id}${changeMiddle}${state.residentSince}${changeActor}${copyValue(JSON.stringify(diff.before))}\t${copyValue(JSON.stringify(diff.after))}\n`;
    }
  }
  return {
    index: task.index,
    residents,
    households,
    householdLines: utf8.encode(h),
    residentLines: utf8.encode(r),
    changeLines: utf8.encode(c),
  };
}

async function copyText(client: pg.ClientBase, statement: string, data: Uint8Array): Promise<void> {
  if (data.byteLength === 0) return;
  const stream = client.query(copyFrom(statement));
  // Pieces of 1 MB: bounded memory per write, few writes.
  async function* pieces() {
    const step = 1 << 20;
    for (let i = 0; i < data.byteLength; i += step) yield data.subarray(i, i + step);
  }
  await pipeline(Readable.from(pieces()), stream);
}

const WORKER_TAG = "juki-synthetic-worker";

/**
 * A worker thread running this module. Under tsx (development, tests, `npm run bench`) the
 * module is TypeScript, which a worker cannot load by itself: it boots through tsx's API.
 */
function startWorker(ctx: ChunkContext): Worker {
  const self = import.meta.url;
  const options = { workerData: { [WORKER_TAG]: ctx } };
  if (!self.endsWith(".ts")) return new Worker(new URL(self), options);
  // The package's ESM entry (resolve() answers with its CommonJS twin, which cannot be imported).
  const tsx = createRequire(self)
    .resolve("tsx/esm/api")
    .replace(/\.cjs$/, ".mjs");
  const boot = `import(${JSON.stringify(pathToFileURL(tsx).href)}).then((api) => api.tsImport(${JSON.stringify(self)}, ${JSON.stringify(self)}))`;
  return new Worker(boot, { ...options, eval: true });
}

/**
 * Chunks in order, generated `ahead` at a time: inline, or by worker threads running this very
 * module (see the end of the file), so that generation overlaps the COPY of earlier chunks.
 */
async function* produceChunks(
  ctx: ChunkContext,
  tasks: ChunkTask[],
  workers: number,
): AsyncGenerator<ChunkData> {
  if (workers <= 0) {
    for (const task of tasks) yield encodeChunk(ctx, task);
    return;
  }
  const pool = Array.from({ length: workers }, () => startWorker(ctx));
  const pending = new Map<number, Promise<ChunkData>>();
  let next = 0;
  const idle = [...pool];
  const queue: { task: ChunkTask; resolve: (d: ChunkData) => void; reject: (e: unknown) => void }[] = [];
  const waiting = new Map<Worker, { resolve: (d: ChunkData) => void; reject: (e: unknown) => void }>();
  const dispatch = () => {
    while (idle.length > 0 && queue.length > 0) {
      const w = idle.pop()!;
      const job = queue.shift()!;
      waiting.set(w, job);
      w.postMessage(job.task);
    }
  };
  for (const w of pool) {
    w.on("message", (data: ChunkData) => {
      const job = waiting.get(w);
      waiting.delete(w);
      idle.push(w);
      job?.resolve(data);
      dispatch();
    });
    w.on("error", (err) => {
      const job = waiting.get(w);
      waiting.delete(w);
      job?.reject(err);
    });
  }
  const submit = (task: ChunkTask) => {
    const p = new Promise<ChunkData>((resolve, reject) => queue.push({ task, resolve, reject }));
    p.catch(() => {});
    pending.set(task.index, p);
    dispatch();
  };
  try {
    const ahead = workers * 2;
    for (; next < Math.min(ahead, tasks.length); next++) submit(tasks[next]!);
    for (let i = 0; i < tasks.length; i++) {
      const data = await pending.get(i)!;
      pending.delete(i);
      if (next < tasks.length) submit(tasks[next++]!);
      yield data;
    }
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
}

/** A Kysely over one already-connected client, so the COPYs and the audit row share a transaction. */
function kyselyOver(client: pg.ClientBase): Kysely<BackofficeDatabase> {
  const lease = {
    query: (...args: unknown[]) => (client.query as (...a: unknown[]) => unknown).apply(client, args),
    release: () => {},
  };
  return new Kysely<BackofficeDatabase>({
    dialect: new PostgresDialect({
      pool: { connect: async () => lease, end: async () => {} } as unknown as pg.Pool,
    }),
  });
}

const BULK_TABLES = ["register.household", "register.resident", "register.resident_change"];

interface Rebuild {
  table: string;
  name: string;
  kind: "index" | "constraint";
  contype: string;
  definition: string;
}

/**
 * Bulk mode, first half: drops what `rebuildAfterBulk` puts back — every secondary index, the
 * primary keys and unique and exclusion constraints of the three tables, and every foreign key
 * from or to them (other tables' too, so that the primary keys can go): a COPY into a table with
 * a primary key on random UUIDs pays a b-tree insertion per row, where a build after it is one
 * sort.
 */
async function dropForBulk(trx: Kysely<BackofficeDatabase>, lgCode: string): Promise<Rebuild[]> {
  const owner = await sql<{ owns: boolean }>`
    select bool_and(pg_has_role(current_user, c.relowner, 'USAGE')) as owns
    from pg_class c where c.oid = any(${BULK_TABLES}::regclass[])`.execute(trx);
  if (!owner.rows[0]?.owns) {
    throw new Error(
      "bulk load: needs the owner of the register tables (connect as the database owner, not the back office's role)",
    );
  }
  await sql`lock table register.household, register.resident, register.resident_change in access exclusive mode`.execute(
    trx,
  );
  const present = await sql<{ n: number }>`
    select count(*)::int as n from (select 1 from register.resident where lg_code = ${lgCode} limit 1) x`.execute(
    trx,
  );
  if (present.rows[0]!.n > 0) {
    throw new Error(
      `bulk load: ${lgCode} already has residents; a bulk load is for a municipality's first load`,
    );
  }
  const indexes = await sql<Rebuild>`
    select i.indrelid::regclass::text as "table", i.indexrelid::regclass::text as name, 'index' as kind,
           '' as contype, pg_get_indexdef(i.indexrelid) as definition
    from pg_index i
    where i.indrelid = any(${BULK_TABLES}::regclass[])
      and not exists (select 1 from pg_constraint c where c.conindid = i.indexrelid and c.conrelid = i.indrelid
                      and c.contype in ('p', 'u', 'x'))
    order by i.indexrelid`.execute(trx);
  const constraints = await sql<Rebuild>`
    select c.conrelid::regclass::text as "table", c.conname as name, 'constraint' as kind, c.contype::text as contype,
           pg_get_constraintdef(c.oid) as definition
    from pg_constraint c
    where (c.conrelid = any(${BULK_TABLES}::regclass[]) and c.contype in ('p', 'f', 'u', 'x'))
       or (c.contype = 'f' and c.confrelid = any(${BULK_TABLES}::regclass[]))
    order by case c.contype when 'f' then 1 else 0 end, c.oid`.execute(trx);
  // Foreign keys first (they rest on the primary keys and unique constraints dropped after them).
  for (const c of [...constraints.rows].reverse()) {
    await sql`alter table ${sql.raw(c.table)} drop constraint ${sql.id(c.name)}`.execute(trx);
  }
  for (const i of indexes.rows) await sql`drop index ${sql.raw(i.name)}`.execute(trx);
  return [...indexes.rows, ...constraints.rows];
}

/** Bulk mode, second half: indexes, then primary keys, unique and exclusion constraints, then foreign keys (validated). */
async function rebuildAfterBulk(
  trx: Kysely<BackofficeDatabase>,
  rebuild: Rebuild[],
  onPhase?: (p: string, ms: number) => void,
) {
  await sql`set local maintenance_work_mem = '512MB'`.execute(trx);
  await sql`set local max_parallel_maintenance_workers = 2`.execute(trx);
  let t = Date.now();
  for (const r of rebuild.filter((x) => x.kind === "index")) await sql.raw(r.definition).execute(trx);
  onPhase?.("indexes", Date.now() - t);
  t = Date.now();
  for (const r of rebuild.filter((x) => x.kind === "constraint" && x.contype !== "f")) {
    await sql`alter table ${sql.raw(r.table)} add constraint ${sql.id(r.name)} ${sql.raw(r.definition)}`.execute(
      trx,
    );
  }
  onPhase?.("primary keys, unique and exclusion constraints", Date.now() - t);
  t = Date.now();
  for (const r of rebuild.filter((x) => x.kind === "constraint" && x.contype === "f")) {
    await sql`alter table ${sql.raw(r.table)} add constraint ${sql.id(r.name)} ${sql.raw(r.definition)}`.execute(
      trx,
    );
  }
  onPhase?.("foreign keys", Date.now() - t);
}

/**
 * Generates and loads `count` residents into a hosted municipality, in one transaction (all or
 * nothing), with one audit row for the load. Uses the given connected client (role
 * juki_backoffice, or the owner for `bulk`).
 */
export async function loadSyntheticResidents(client: pg.ClientBase, opts: LoadOptions): Promise<LoadResult> {
  const started = Date.now();
  const db = kyselyOver(client);
  const batchSize = opts.batchSize ?? 20_000;
  const workers = opts.workers ?? (opts.count >= 50_000 ? 2 : 0);
  try {
    return await db.transaction().execute(async (trx) => {
      const m = await trx
        .selectFrom("register.municipality")
        .select(["lg_code", "prefecture", "name", "towns", "hosted"])
        .where("lg_code", "=", opts.lgCode)
        .executeTakeFirst();
      if (!m?.hosted)
        throw new Error(`--lg-code ${opts.lgCode}: not a hosted municipality (seed it first: npm start)`);
      // Serialise loads into one municipality, so that two never take the same counter range.
      await sql`select pg_advisory_xact_lock(${0x73796e74}::int, ${Number(opts.lgCode)}::int)`.execute(trx);
      const done = await sql<{ n: number }>`
        select count(*)::int as n from register.resident_change where request_key like 'synthetic:%'`.execute(
        trx,
      );
      const startCounter = done.rows[0]!.n;
      const rebuild = opts.bulk ? await dropForBulk(trx, opts.lgCode) : [];
      const runKey = `synthetic:${opts.lgCode}:${randomUUID()}`;
      const seed = opts.seed ?? Date.now() % 2 ** 31;
      const ctx: ChunkContext = {
        municipality: { lgCode: m.lg_code, prefecture: m.prefecture, name: m.name, towns: m.towns },
        today: opts.today,
        runKey,
        residentColumns: Object.keys(stateToRow("x", generatorSample(opts), 1)),
        encryptionKey: opts.keys.encryptionKey,
        indexKey: opts.keys.indexKey,
      };
      const tasks: ChunkTask[] = [];
      for (let i = 0, at = 0; at < opts.count; i++, at += batchSize) {
        tasks.push({
          index: i,
          count: Math.min(batchSize, opts.count - at),
          startCounter: startCounter + at,
          seed: chunkSeed(seed, i),
        });
      }
      let loaded = 0;
      let households = 0;
      const columns = ctx.residentColumns.join(", ");
      for await (const chunk of produceChunks(ctx, tasks, workers)) {
        await copyText(client, "COPY register.household (id, lg_code) FROM STDIN", chunk.householdLines);
        await copyText(client, `COPY register.resident (${columns}) FROM STDIN`, chunk.residentLines);
        await copyText(
          client,
          `COPY register.resident_change (${CHANGE_COLUMNS.join(", ")}) FROM STDIN`,
          chunk.changeLines,
        );
        households += chunk.households;
        loaded += chunk.residents;
        opts.onProgress?.(loaded, opts.count, Date.now() - started);
      }
      opts.onPhase?.("generate and copy", Date.now() - started);
      if (opts.bulk) await rebuildAfterBulk(trx, rebuild, opts.onPhase);
      await appendAudit(trx, {
        lgCode: opts.lgCode,
        actor: SYNTHETIC_ACTOR,
        action: "register.syntheticLoad",
        detail: { residents: loaded, households, requestKey: runKey, bulk: Boolean(opts.bulk) },
      });
      const elapsedMs = Date.now() - started;
      return {
        residents: loaded,
        households,
        elapsedMs,
        rowsPerSecond: Math.round((loaded / Math.max(elapsedMs, 1)) * 1000),
        firstResidentCode: syntheticResidentCode(startCounter),
      };
    });
  } finally {
    await db.destroy();
  }
}

/** A record with every column set, to learn the resident table's COPY column list. */
function generatorSample(opts: Pick<LoadOptions, "lgCode" | "today">): ResidentState {
  const sample = generateHouseholds({
    municipality: { lgCode: opts.lgCode, prefecture: "", name: "", towns: [] },
    count: 1,
    seed: 1,
    today: opts.today,
    startCounter: 0,
  }).next().value as SyntheticHousehold;
  return sample.members[0]!.state;
}

// A worker thread started by produceChunks: generates the chunks it is sent.
if (!isMainThread && parentPort && (workerData as Record<string, unknown> | null)?.[WORKER_TAG]) {
  const ctx = (workerData as Record<string, ChunkContext>)[WORKER_TAG]!;
  const port = parentPort;
  port.on("message", (task: ChunkTask) => {
    const data = encodeChunk(ctx, task);
    // Handed over, not copied.
    port.postMessage(data, [
      data.householdLines.buffer as ArrayBuffer,
      data.residentLines.buffer as ArrayBuffer,
      data.changeLines.buffer as ArrayBuffer,
    ]);
  });
}
