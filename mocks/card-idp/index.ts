import type { Server } from "node:http";
import path from "node:path";
import express from "express";
import { createHealthHandler } from "../../lib/health.js";
import { createLogger, type Logger } from "../../lib/logger.js";
import { devKeyPair, devSecret } from "../../lib/secrets.js";
import type { World } from "../../lib/world.js";
import { MockJpkiCa } from "./ca.js";
import { ClientAssertionVerifier } from "./client-auth.js";
import { buildHolders, certificatesBySerial, signCertStatus, tokyoDate } from "./holders.js";
import { cardInteractions, staffInteractions } from "./interactions.js";
import { jpkiRoutes } from "./jpki.js";
import { STYLESHEET_PATH, securityHeaders, stylesheet } from "./pages.js";
import {
  CARD_SCOPES,
  type ClientConfig,
  cardAccount,
  cardClaims,
  clientMetadata,
  createRealm,
  STAFF_SCOPES,
  staffAccount,
  staffClaims,
} from "./realms.js";
import { signingRoutes } from "./signing.js";
import { StateStore } from "./state.js";
import { applyReissues, signCertChange, terminalRoutes } from "./terminal.js";

/**
 * The card IdP stand-in (contract: docs/contracts/card-idp.md): on one port, the card realm
 * (/card), the staff realm (/staff) and the mock JPKI CA (/jpki), with /healthz and /readyz.
 */

/** What the 住基ネット stand-in passes on of an applied identity update. */
export interface IdentityChange {
  residentCode: string;
  addressLine: string;
  /** The name in kanji (the 署名用電子証明書 carries it, as it does the birth date and sex). */
  name?: { family: string; given: string };
  birthDate?: string;
  sex?: "male" | "female";
}

export interface CardIdpOptions {
  world: World;
  port: number;
  /** Public base URL, without realm: the issuers are `${publicUrl}/card` and `${publicUrl}/staff`. */
  publicUrl: string;
  portalUrl: string;
  backofficeUrl: string;
  dataDir: string;
  /** The clock that decides whether cards and certificates have expired (tests move it). */
  now?: () => Date;
  logger?: Logger;
  host?: string;
}

export interface CardIdp {
  url: string;
  /**
   * The 住基ネット stand-in heard of a person's identity information (an identity update): as
   * J-LIS does, the JPKI CA revokes a valid 署名用電子証明書 whose address, name, birth date or sex
   * is no longer the person's (addressChange, nameChange, birthDateChange, sexChange). A
   * certificate already carrying the new address and name (issued at the counter before the update
   * arrived) is kept.
   */
  identityChanged(change: IdentityChange): void;
  close(): Promise<void>;
}

export const CARD_CLIENT_ID = "juki-portal";
export const STAFF_CLIENT_ID = "juki-backoffice";

export async function startCardIdp(opts: CardIdpOptions): Promise<CardIdp> {
  const now = opts.now ?? (() => new Date());
  const logger = opts.logger ?? createLogger({ name: "card-idp" });
  const publicUrl = opts.publicUrl.replace(/\/$/, "");
  const dataDir = path.resolve(opts.dataDir);
  const cardIssuer = `${publicUrl}/card`;
  const staffIssuer = `${publicUrl}/staff`;
  const cardPath = new URL(cardIssuer).pathname;
  const staffPath = new URL(staffIssuer).pathname;

  const state = new StateStore(path.join(dataDir, "card-idp"));
  const ca = await MockJpkiCa.open(dataDir);
  const holders = buildHolders(opts.world, devSecret(dataDir, "card-idp-sub-key"));
  const certificates = certificatesBySerial(holders);
  applyReissues(holders, certificates, state);
  const bySub = new Map(holders.map((h) => [h.sub, h]));
  const staffById = new Map(opts.world.staff.map((s) => [s.id, s]));
  const cookieKeys = [devSecret(dataDir, "card-idp-cookie-key")];

  const portal: ClientConfig = {
    clientId: CARD_CLIENT_ID,
    clientName: "住民記録ポータル",
    baseUrl: opts.portalUrl,
  };
  const backoffice: ClientConfig = {
    clientId: STAFF_CLIENT_ID,
    clientName: "住民記録システム（窓口）",
    baseUrl: opts.backofficeUrl,
  };

  const cardProvider = createRealm({
    issuer: cardIssuer,
    client: portal,
    signingJwk: devKeyPair(dataDir, "card-idp-card-realm", "ES256").privateJwk,
    cookieKeys,
    scopes: CARD_SCOPES,
    claims: cardClaims,
    findAccount: (sub) => {
      const holder = bySub.get(sub);
      return holder ? cardAccount(holder, state, now) : undefined;
    },
  });
  const staffProvider = createRealm({
    issuer: staffIssuer,
    client: backoffice,
    signingJwk: devKeyPair(dataDir, "card-idp-staff-realm", "ES256").privateJwk,
    cookieKeys,
    scopes: STAFF_SCOPES,
    claims: staffClaims,
    findAccount: (sub) => {
      const member = staffById.get(sub);
      return member ? staffAccount(member) : undefined;
    },
  });
  for (const [realm, provider] of [
    ["card", cardProvider],
    ["staff", staffProvider],
  ] as const) {
    // Error codes only: descriptions and params may carry what the RP sent.
    provider.on("server_error", (_ctx, err) =>
      logger.error({ realm, err: err instanceof Error ? err.message : String(err) }, "oidc server error"),
    );
    for (const event of ["authorization.error", "grant.error", "userinfo.error", "end_session.error"]) {
      provider.on(event, (_ctx, err) =>
        logger.info(
          {
            realm,
            event,
            error: (err as { error?: string }).error,
            // The library's own explanation (e.g. which check failed); never request values.
            detail: (err as { error_detail?: string }).error_detail,
          },
          "oidc request refused",
        ),
      );
    }
  }

  const portalOrigin = new URL(opts.portalUrl).origin;
  const backofficeOrigin = new URL(opts.backofficeUrl).origin;
  const verifier = new ClientAssertionVerifier([
    { clientId: CARD_CLIENT_ID, jwksUri: clientMetadata(portal).jwks_uri },
  ]);

  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", false);
  const health = createHealthHandler("card-idp", {
    realms: async () => undefined,
    ca: async () => ca.rootPem,
  });
  app.use(async (req, res, next) => {
    if (!(await health(req, res))) next();
  });
  app.get(STYLESHEET_PATH, (_req, res) => {
    res
      .set("content-type", "text/css; charset=utf-8")
      .set("cache-control", "public, max-age=300")
      .send(stylesheet);
  });
  app.get("/", (_req, res) => {
    res.set(securityHeaders()).json({
      component: "card-idp",
      realms: { card: cardIssuer, staff: staffIssuer },
      jpkiRoot: `${publicUrl}/jpki/root.pem`,
      contract: "docs/contracts/card-idp.md",
    });
  });
  app.use("/jpki", jpkiRoutes({ ca, certificates, state, now, logger }));
  // The back office's counter terminal (card reader + PIN pad), authenticated with its client key.
  app.use(
    "/card-terminal",
    terminalRoutes({
      publicUrl,
      mountPath: "/card-terminal",
      holders,
      certificates,
      state,
      verifier: new ClientAssertionVerifier([
        { clientId: STAFF_CLIENT_ID, jwksUri: clientMetadata(backoffice).jwks_uri },
      ]),
      cardIdKey: devSecret(dataDir, "card-idp-card-id-key"),
      now,
      logger,
    }),
  );
  app.use(
    cardPath,
    cardInteractions({
      provider: cardProvider,
      clientName: portal.clientName,
      formTargets: [portalOrigin],
      logger,
      realmPath: cardPath,
      holders,
      state,
      now,
      scopes: CARD_SCOPES,
    }),
  );
  app.use(
    cardPath,
    signingRoutes({
      realmPath: cardPath,
      issuer: cardIssuer,
      publicUrl,
      holders,
      state,
      ca,
      verifier,
      clients: new Map([[CARD_CLIENT_ID, { name: portal.clientName, origin: portalOrigin }]]),
      now,
      logger,
    }),
  );
  app.use(cardPath, cardProvider.callback());
  app.use(
    staffPath,
    staffInteractions({
      provider: staffProvider,
      clientName: backoffice.clientName,
      formTargets: [backofficeOrigin],
      logger,
      realmPath: staffPath,
      staff: opts.world.staff,
      scopes: STAFF_SCOPES,
      now,
    }),
  );
  app.use(staffPath, staffProvider.callback());
  app.use((_req, res) => {
    res.status(404).json({ error: "not_found" });
  });
  app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    logger.error({ err: err instanceof Error ? err.message : String(err) }, "card IdP request failed");
    if (!res.headersSent) res.status(500).json({ error: "server_error" });
  });

  const host = opts.host ?? "127.0.0.1";
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(opts.port, host, () => resolve(s));
    s.once("error", (err: NodeJS.ErrnoException) =>
      reject(
        new Error(err.code === "EADDRINUSE" ? `card-idp: port ${opts.port} is already in use` : err.message),
      ),
    );
  });
  return {
    url: publicUrl,
    identityChanged({ residentCode, ...seen }) {
      for (const holder of holders) {
        const sign = holder.card.signCert;
        if (holder.person.residentCode !== residentCode || !sign) continue;
        const reason = signCertChange(holder, seen);
        if (!reason) continue;
        if (signCertStatus(holder, state.state, tokyoDate(now())) !== "valid") continue;
        state.revoke(sign.serial, reason, now());
        logger.info({ kind: "sign", reason }, "signing certificate revoked on a change of the 基本4情報");
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
