/**
 * `npm run bench [part …]`: every benchmark, printing its figures (parts: register, portal,
 * pipeline, certificates; none named = all). Figures are measured here, never asserted in unit
 * tests. Each part lives in its own file and is loaded only when it runs.
 */
type Log = (line: string) => void;
type Part = (log: Log) => Promise<void>;

const parts: Record<string, () => Promise<Part>> = {
  register: async () => (await import("./register.js")).benchRegister,
  portal: async () => (await import("./portal.js")).benchPortal,
  pipeline: async () => (await import("./pipeline.js")).benchPipeline,
  certificates: async () => (await import("./certificates.js")).benchCertificates,
};

const log: Log = (line) => console.info(line);

async function main(): Promise<void> {
  const asked = process.argv.slice(2);
  const unknown = asked.filter((name) => !(name in parts));
  if (unknown.length > 0) {
    throw new Error(`unknown part ${unknown.join(", ")}; parts: ${Object.keys(parts).join(", ")}`);
  }
  for (const name of asked.length > 0 ? asked : Object.keys(parts)) {
    log(`\n== bench: ${name}`);
    const run = await (parts[name] as () => Promise<Part>)();
    await run(log);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
