import { readFileSync } from "node:fs";
import { MUNICIPALITIES_CSV, type World } from "../../lib/world.js";

export interface Municipality {
  lgCode: string;
  prefecture: string;
  name: string;
  hosted: boolean;
}

/**
 * Every municipality the network knows: the world file's (hosted or not) and every row of
 * municipalities.csv (played by the stand-in). The world file wins where both name a code.
 */
export class Directory {
  private readonly byCode = new Map<string, Municipality>();

  constructor(world: World, csvFile: string = MUNICIPALITIES_CSV) {
    let csv = "";
    try {
      csv = readFileSync(csvFile, "utf8");
    } catch {
      // Without the list the network knows the world file's municipalities only.
    }
    const lines = csv.split(/\r?\n/).filter(Boolean);
    const header = (lines.shift() ?? "").split(",");
    const col = (name: string) => header.indexOf(name);
    for (const line of lines) {
      const cells = line.split(",");
      const lgCode = cells[col("lgCode")];
      if (!lgCode) continue;
      this.byCode.set(lgCode, {
        lgCode,
        prefecture: cells[col("prefecture")] ?? "",
        name: cells[col("name")] ?? "",
        hosted: false,
      });
    }
    for (const m of world.municipalities) {
      this.byCode.set(m.lgCode, {
        lgCode: m.lgCode,
        prefecture: m.prefecture,
        name: m.name,
        hosted: m.hosted,
      });
    }
  }

  get(lgCode: string): Municipality | undefined {
    return this.byCode.get(lgCode);
  }

  isHosted(lgCode: string): boolean {
    return this.byCode.get(lgCode)?.hosted === true;
  }

  all(): Municipality[] {
    return [...this.byCode.values()];
  }

  hosted(): Municipality[] {
    return [...this.byCode.values()].filter((m) => m.hosted);
  }

  /** Where asked (`asker`) is relative to where found (`holder`). */
  level(asker: string, holder: string): "municipality" | "prefecture" | "nation" {
    if (asker === holder) return "municipality";
    const a = this.byCode.get(asker)?.prefecture;
    return a !== undefined && a === this.byCode.get(holder)?.prefecture ? "prefecture" : "nation";
  }

  /**
   * The municipality an address (e.g. a 本籍) lies in, by its written name: the longest
   * "prefecture + name" (or name alone, for addresses written without the prefecture) that starts
   * the address. A designated city's ward wins over the city.
   */
  locate(address: string): Municipality | undefined {
    const text = address.normalize("NFKC").replace(/\s/g, "");
    let best: Municipality | undefined;
    let bestLength = 0;
    for (const m of this.byCode.values()) {
      for (const prefix of [`${m.prefecture}${m.name}`, m.name]) {
        if (prefix.length > bestLength && text.startsWith(prefix)) {
          best = m;
          bestLength = prefix.length;
        }
      }
    }
    return best;
  }
}
