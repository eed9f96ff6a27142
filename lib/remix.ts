import { AsyncLocalStorage } from "node:async_hooks";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { createRequestHandler } from "@remix-run/express";
import type { ServerBuild } from "@remix-run/node";
import express from "express";
import type { Plugin, ViteDevServer } from "vite";

declare module "@remix-run/node" {
  interface AppLoadContext {
    /** Per-request nonce for the document's Content-Security-Policy (see each app's entry.server). */
    cspNonce: string;
  }
}

export interface RemixMount {
  close(): Promise<void>;
}

export interface MountRemixOptions {
  /** Absolute path of `portal/` or `backoffice/` (the folder holding vite.config.ts, app/ and build/). */
  appRoot: string;
  mode: "development" | "production";
  getLoadContext?: (req: express.Request, res: express.Response) => Record<string, unknown>;
}

/** Serves one Remix app (portal or back office) from an Express app: Vite in development, the build otherwise. */
export async function mountRemix(app: express.Express, opts: MountRemixOptions): Promise<RemixMount> {
  app.disable("x-powered-by");
  const getLoadContext = (req: express.Request, res: express.Response) => ({
    ...opts.getLoadContext?.(req, res),
    cspNonce: randomBytes(16).toString("base64"),
  });
  return opts.mode === "development"
    ? mountDevelopment(app, opts.appRoot, getLoadContext)
    : mountProduction(app, opts.appRoot, getLoadContext);
}

type LoadContextFn = (
  req: express.Request,
  res: express.Response,
) => Record<string, unknown> & { cspNonce: string };

async function mountProduction(
  app: express.Express,
  appRoot: string,
  getLoadContext: LoadContextFn,
): Promise<RemixMount> {
  const buildDirectory = path.join(appRoot, "build");
  const serverEntry = path.join(buildDirectory, "server", "index.js");
  if (!existsSync(serverEntry)) {
    const name = path.basename(appRoot);
    throw new Error(
      `${name}/build がありません: npm run build を実行してください (${name}/build is missing: run npm run build)`,
    );
  }
  const build = (await import(pathToFileURL(serverEntry).href)) as ServerBuild;
  const clientDirectory = path.join(buildDirectory, "client");
  // Vite puts a content hash in every file name under /assets, so they never change.
  app.use("/assets", express.static(path.join(clientDirectory, "assets"), { immutable: true, maxAge: "1y" }));
  app.use(express.static(clientDirectory, { maxAge: "1h", index: false }));
  app.all("*", createRequestHandler({ build, mode: "production", getLoadContext }));
  return { close: async () => {} };
}

async function mountDevelopment(
  app: express.Express,
  appRoot: string,
  getLoadContext: LoadContextFn,
): Promise<RemixMount> {
  const hooks: DevServerHooksSlot = {};
  const vite = await createDevServerOneAtATime(appRoot, hooks);
  app.use(vite.middlewares);
  const handler = createRequestHandler({
    build: () => vite.ssrLoadModule("virtual:remix/server-build") as Promise<ServerBuild>,
    mode: "development",
    getLoadContext,
  });
  app.all("*", (req, res, next) => currentDevServerHooks.run(hooks, () => handler(req, res, next)));
  return { close: () => vite.close() };
}

// The Remix Vite plugin hands the request handler its dev hooks (critical CSS, stack-trace
// fixing) through one process-wide global, so with the portal and the back office in one
// process the last app to start would answer for both. Each app's hooks are captured right
// after its plugin sets them, and a dispatcher picks the right ones for each request.
interface DevServerHooks {
  getCriticalCss?: (build: ServerBuild, pathname: string) => Promise<string | undefined>;
  processRequestError?: (error: unknown) => void;
}
interface DevServerHooksSlot {
  current?: DevServerHooks;
}
const devServerHooksKey = "__remix_devServerHooks";
const currentDevServerHooks = new AsyncLocalStorage<DevServerHooksSlot>();
const dispatchingDevServerHooks: DevServerHooks = {
  getCriticalCss: async (build, pathname) =>
    currentDevServerHooks.getStore()?.current?.getCriticalCss?.(build, pathname),
  processRequestError: (error) => currentDevServerHooks.getStore()?.current?.processRequestError?.(error),
};
const devHooksGlobal = globalThis as { [devServerHooksKey]?: DevServerHooks };

function captureDevServerHooks(slot: DevServerHooksSlot): Plugin {
  return {
    name: "juki:capture-remix-dev-server-hooks",
    enforce: "post",
    // Runs after Remix's own configureServer, also when Vite restarts after a config change.
    configureServer() {
      const hooks = devHooksGlobal[devServerHooksKey];
      if (hooks && hooks !== dispatchingDevServerHooks) slot.current = hooks;
      devHooksGlobal[devServerHooksKey] = dispatchingDevServerHooks;
    },
  };
}

// Serialised so that no other app's plugin can set the global between Remix's hook and ours.
let devServerQueue: Promise<unknown> = Promise.resolve();

function createDevServerOneAtATime(appRoot: string, slot: DevServerHooksSlot): Promise<ViteDevServer> {
  const created = devServerQueue.then(async () => {
    const { createServer } = await import("vite");
    return createServer({
      configFile: path.join(appRoot, "vite.config.ts"),
      // Nothing but the caller's Express server may listen: no HMR websocket (Vite would
      // otherwise open port 24678 for each app). Reload the page to see changes.
      server: { middlewareMode: true, hmr: false, ws: false },
      plugins: [captureDevServerHooks(slot)],
    });
  });
  devServerQueue = created.catch(() => undefined);
  return created;
}
