import { benchPortal } from "./portal.js";
import { benchRegister } from "./register.js";

/**
 * `npm run bench`: every benchmark that exists so far (`npm run bench [register|portal]`),
 * printing its figures. (The pipeline and certificate parts arrive with their issues.) Figures are measured here, never asserted
 * in unit tests.
 */
const log = (line: string) => console.info(line);

async function main(): Promise<void> {
  const only = process.argv[2];
  if (!only || only === "register") await benchRegister(log);
  if (!only || only === "portal") await benchPortal(log);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
