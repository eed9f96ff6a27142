/** The certificates part of `npm run bench` (issue 6): not built yet; the certificates work replaces this file. */
export async function benchCertificates(log: (line: string) => void): Promise<void> {
  log("certificates: not built yet (issue 6)");
}
