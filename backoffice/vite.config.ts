import path from "node:path";
import { vitePlugin as remix } from "@remix-run/dev";
import { defineConfig } from "vite";

// Single Fetch changes what useLoaderData infers; this makes the types follow the flag.
declare module "@remix-run/node" {
  interface Future {
    v3_singleFetch: true;
  }
}

const appRoot = import.meta.dirname;
const repoRoot = path.dirname(appRoot);

// Vite's root is the repository, not this folder: `remix vite:build` always passes the
// working directory as `root`, and Remix reads package.json from that root. Everything
// that belongs to this app is therefore given as an absolute path below.
export default defineConfig({
  root: repoRoot,
  publicDir: path.join(appRoot, "public"),
  // One dependency cache per app, so the portal and the back office can run side by side.
  cacheDir: path.join(repoRoot, "node_modules/.vite/backoffice"),
  // Optimised at start, not discovered by a first page view: on a fresh clone Vite otherwise
  // re-optimises mid-request and reloads, and that first page answers 「エラーが発生しました」.
  // bullmq (Bull Board's server side) and pdf-lib with its fontkit (certificates) were still
  // discovered later on a fresh clone, while a browser journey ran, and the reload broke the page
  // in use (CI: the login after issuing a 住民票の写し); listed here so that they never are.
  optimizeDeps: {
    include: ["@conform-to/react", "@conform-to/zod", "pino", "bullmq", "pdf-lib", "@pdf-lib/fontkit"],
  },
  server: {
    // The dev server may hand out this app's files, shared code and dependencies, nothing else.
    fs: { allow: [appRoot, path.join(repoRoot, "lib"), path.join(repoRoot, "node_modules")] },
    // With the repository as root, keep the watcher out of database files and build output.
    watch: { ignored: ["**/.data/**", "**/.test-data/**", "**/build/**", "**/coverage/**"] },
  },
  plugins: [
    remix({
      appDirectory: path.join(appRoot, "app"),
      buildDirectory: path.join(appRoot, "build"),
      future: {
        v3_fetcherPersist: true,
        v3_relativeSplatPath: true,
        v3_throwAbortReason: true,
        v3_lazyRouteDiscovery: true,
        v3_singleFetch: true,
        v3_routeConfig: true,
      },
    }),
  ],
});
