import { makeMyNumber, makeResidentCode } from "../../backoffice/register/identifiers.js";
import { createRng, type Rng } from "../../backoffice/register/synthetic.js";
import { addDays } from "../../backoffice/register/time-rules.js";
import type { World, WorldMunicipality, WorldPerson } from "../../lib/world.js";

/**
 * A world for the fault tests and the pipeline benchmark: the given world plus synthetic
 * households (1–2 people, Japanese nationals, no support measure) in the municipalities asked
 * for, hosted or played by the stand-in. The same world seeds the register and the 住基ネット
 * stand-in, so both know the same people. Codes use the prefix 98 (the loader of
 * backoffice/register/synthetic.ts uses 99), so they never collide with other synthetic data.
 */
const FAMILY: [string, string][] = [
  ["青木", "アオキ"],
  ["石川", "イシカワ"],
  ["上田", "ウエダ"],
  ["江口", "エグチ"],
  ["大野", "オオノ"],
  ["加藤", "カトウ"],
  ["木村", "キムラ"],
  ["工藤", "クドウ"],
  ["小林", "コバヤシ"],
  ["斎藤", "サイトウ"],
  ["柴田", "シバタ"],
  ["杉山", "スギヤマ"],
];
const GIVEN: [string, string, "male" | "female"][] = [
  ["一郎", "イチロウ", "male"],
  ["健太", "ケンタ", "male"],
  ["翔", "ショウ", "male"],
  ["大輔", "ダイスケ", "male"],
  ["直樹", "ナオキ", "male"],
  ["花子", "ハナコ", "female"],
  ["美咲", "ミサキ", "female"],
  ["由美", "ユミ", "female"],
  ["恵", "メグミ", "female"],
  ["彩", "アヤ", "female"],
];

export interface SyntheticOptions {
  /** Households per municipality code. */
  households: Record<string, number>;
  seed: number;
  today: string;
}

let counterBase = 0;

export function syntheticWorld(base: World, opts: SyntheticOptions): World {
  const rng: Rng = createRng(opts.seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rng() * list.length)]!;
  const int = (min: number, max: number) => min + Math.floor(rng() * (max - min + 1));
  const households: World["households"] = [...base.households];
  const people: WorldPerson[] = [...base.people];
  // Distinct counters per call and per run, so two worlds of one process never share codes.
  counterBase += 20_000;
  let counter = counterBase + (opts.seed % 100) * 500_000;
  for (const [lgCode, count] of Object.entries(opts.households)) {
    const m = base.municipalities.find((x) => x.lgCode === lgCode);
    if (!m) throw new Error(`synthetic world: ${lgCode} is not a municipality of the world file`);
    const towns = m.towns.length > 0 ? m.towns : [{ name: "本町", chomeMax: 3 }];
    for (let h = 0; h < count; h++) {
      const town = pick(towns);
      const chome = Math.max(1, Math.min(town.chomeMax, int(1, 5)));
      const block = int(1, 40);
      const lot = int(1, 30);
      const line = `${m.prefecture}${m.name}${town.name}${chome}丁目${block}番${lot}号`;
      const householdId = `F${lgCode}-${opts.seed}-${h}`;
      const address = {
        lgCode,
        prefecture: m.prefecture,
        city: m.name,
        town: town.name,
        chome,
        block,
        lot,
        line,
      };
      households.push({ id: householdId, lgCode, address });
      const [family, familyKana] = pick(FAMILY);
      const size = rng() < 0.6 ? 1 : 2;
      let headName = "";
      for (let i = 0; i < size; i++) {
        const n = counter++;
        const [given, givenKana, sex] = pick(GIVEN);
        if (i === 0) headName = `${family}${given}`;
        // Adults with distinct birth dates: name + birth date find exactly one record.
        const birthDate = addDays(opts.today, -(20 * 365 + (n % 15_000) + i * 400));
        const since = addDays(opts.today, -int(400, 4000));
        people.push({
          id: `F${n}`,
          residentCode: makeResidentCode(`98${String(n).padStart(8, "0")}`),
          myNumber: makeMyNumber(`98${String(n).padStart(9, "0")}`),
          name: { family, given, familyKana, givenKana },
          birthDate,
          sex,
          lgCode,
          householdId,
          relationship: i === 0 ? "世帯主" : sex === "male" ? "夫" : "妻",
          address,
          residentSince: since,
          addressSince: since,
          nationality: "JP",
          honseki: {
            address: `${m.prefecture}${m.name}${town.name}${chome}丁目${block}番地`,
            headOfFamily: headName,
          },
        });
      }
    }
  }
  return { ...base, households, people };
}

/** The households of a municipality (head first), only those of the synthetic part. */
export function syntheticHouseholds(world: World, lgCode: string): WorldPerson[][] {
  const byHousehold = new Map<string, WorldPerson[]>();
  for (const p of world.people) {
    if (p.lgCode !== lgCode || !p.householdId.startsWith("F")) continue;
    byHousehold.set(p.householdId, [...(byHousehold.get(p.householdId) ?? []), p]);
  }
  return [...byHousehold.values()].map((h) =>
    [...h].sort((x, y) => (x.relationship === "世帯主" ? -1 : y.relationship === "世帯主" ? 1 : 0)),
  );
}

export function municipality(world: World, lgCode: string): WorldMunicipality {
  const m = world.municipalities.find((x) => x.lgCode === lgCode);
  if (!m) throw new Error(`${lgCode} is not in the world file`);
  return m;
}
