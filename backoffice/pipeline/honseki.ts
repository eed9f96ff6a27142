import type { World } from "../../lib/world.js";
import { Directory } from "../../mocks/juki-net/municipalities.js";

/**
 * The municipality a 本籍 lies in, by its written name (for the 附票通知 of 住基法第19条第1項): every
 * municipality of Japan (fixtures' municipalities.csv, the same list the 住基ネット stand-in
 * routes by). Returns its 地方公共団体コード, or undefined when the 本籍 names no known one.
 */
let directory: Directory | undefined;
export function honsekiMunicipality(honsekiAddress: string): string | undefined {
  directory ??= new Directory({ municipalities: [] } as unknown as World);
  return directory.locate(honsekiAddress)?.lgCode;
}
