// The repository's copy of ../shared/fixtures/municipalities.csv, bundled as text so that the
// same list serves the server and the browser's validation as you type.
import csv from "../../fixtures/municipalities.csv?raw";

export interface Municipality {
  lgCode: string;
  prefecture: string;
  name: string;
  nameKana: string;
  /** "東京都台東区": what the picker shows and what the resident types or picks. */
  label: string;
}

function parse(text: string): Municipality[] {
  const [header, ...rows] = text.trim().split(/\r?\n/);
  const columns = (header ?? "").split(",");
  const at = (name: string) => {
    const i = columns.indexOf(name);
    if (i < 0) throw new Error(`municipalities.csv: no column ${name}`);
    return i;
  };
  const [code, pref, name, kana] = [at("lgCode"), at("prefecture"), at("name"), at("nameKana")];
  return rows.map((row) => {
    const cells = row.split(",");
    const m = {
      lgCode: cells[code] ?? "",
      prefecture: cells[pref] ?? "",
      name: cells[name] ?? "",
      nameKana: cells[kana] ?? "",
    };
    return { ...m, label: `${m.prefecture}${m.name}` };
  });
}

export const municipalities: readonly Municipality[] = parse(csv);

const byCode = new Map(municipalities.map((m) => [m.lgCode, m]));
const byLabel = new Map(municipalities.map((m) => [m.label, m]));

export function municipalityByCode(lgCode: string): Municipality | undefined {
  return byCode.get(lgCode);
}

export type MunicipalityMatch =
  | { kind: "found"; municipality: Municipality }
  | { kind: "ambiguous"; candidates: Municipality[] }
  | { kind: "notFound" };

/**
 * What the resident typed or picked → one municipality: the label ("東京都台東区"), the code, or
 * a name that exists once in Japan ("台東区"). "府中市" exists twice and asks for the prefecture.
 */
export function resolveMunicipality(input: string): MunicipalityMatch {
  const text = input.normalize("NFKC").replace(/\s+/g, "");
  if (!text) return { kind: "notFound" };
  const exact = byLabel.get(text) ?? byCode.get(text);
  if (exact) return { kind: "found", municipality: exact };
  const named = municipalities.filter((m) => m.name === text);
  if (named.length === 1) return { kind: "found", municipality: named[0]! };
  if (named.length > 1) return { kind: "ambiguous", candidates: named };
  return { kind: "notFound" };
}

/** Municipalities whose label or kana contains the text (the picker's search without JavaScript). */
export function searchMunicipalities(query: string, limit = 50): Municipality[] {
  const q = query.normalize("NFKC").replace(/\s+/g, "");
  if (!q) return [];
  return municipalities.filter((m) => m.label.includes(q) || m.nameKana.includes(q)).slice(0, limit);
}

/**
 * The municipality an address line lies in ("東京都墨田区吾妻橋一丁目…" → 墨田区): the longest
 * label that starts the line, so that a designated city's ward wins over the city.
 */
export function municipalityOfAddress(addressLine: string): Municipality | undefined {
  const text = addressLine.normalize("NFKC").replace(/\s+/g, "");
  let best: Municipality | undefined;
  for (const m of municipalities) {
    if (text.startsWith(m.label) && (!best || m.label.length > best.label.length)) best = m;
  }
  return best;
}
