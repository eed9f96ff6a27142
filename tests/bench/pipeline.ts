/** The pipeline part of `npm run bench` (issue 5): not built yet; the pipeline work replaces this file. */
export async function benchPipeline(log: (line: string) => void): Promise<void> {
  log("pipeline: not built yet (issue 5)");
}
