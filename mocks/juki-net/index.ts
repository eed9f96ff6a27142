import { createHash } from "node:crypto";
import path from "node:path";
import { decodeJwt } from "jose";
import { createQueueBackend, type QueueBackend, type QueueBackendConfig } from "../../jobs/backend.js";
import { type Envelope as JobEnvelope, queues } from "../../jobs/queues.js";
import { createLogger, type Logger } from "../../lib/logger.js";
import { type DevKeyPair, devKeyPair } from "../../lib/secrets.js";
import type { World } from "../../lib/world.js";
import { type MockRequest, type MockResponse, MockSystem, type Route } from "../kit.js";
import { EventLog } from "./log.js";
import { Directory } from "./municipalities.js";
import {
  type Envelope,
  type IdentityInfo,
  identityUpdateSchema,
  type Level,
  lookupSchema,
  newEnvelope,
  parseEnvelope,
  SignatureError,
  signMessage,
  verifyAssertion,
  verifyMessage,
} from "./protocol.js";
import { completeMoveIn, type Outgoing, react } from "./stand-in.js";
import { type Answer, type Event, entryFromUpdate, orderKey, State, type StoredMessage } from "./state.js";

/**
 * 住基ネット stand-in: 市町村CS, 都道府県サーバ, 全国サーバ and every municipality that is not
 * hosted, as one MockSystem. Contract: docs/contracts/juki-net.md.
 */

export interface JukiNetOptions {
  /** Where keys (DATA_DIR/secrets) and the state log (DATA_DIR/juki-net) live. */
  dataDir: string;
  /** The queue for inbound jobs: a config (connected here) or a backend the caller owns. */
  queue?: QueueBackendConfig | QueueBackend | undefined;
  logger?: Logger;
  now?: () => Date;
  /** An unacknowledged message is announced again after this long (default 30 s). */
  reannounceAfterMs?: number;
  /** How often to look for such messages (default: min(reannounceAfterMs, 5 s)). */
  reannounceIntervalMs?: number;
  /** fsync each log append (default true). */
  fsync?: boolean;
  /** Folder of the state log (default DATA_DIR/juki-net). */
  stateDir?: string;
  /**
   * Called once per identity update applied (not for a repeated one), after it is recorded: how
   * J-LIS hears of changes (the JPKI CA revokes 署名用電子証明書 when the 基本4情報 change).
   */
  onIdentityUpdate?: (update: AppliedIdentityUpdate) => void;
}

/** What the stand-in passes on of an applied identity update (the 基本4情報 and the reason). */
export interface AppliedIdentityUpdate {
  residentCode: string;
  reason: string;
  addressLine: string;
  name: { family: string; given: string };
  birthDate: string;
  sex: "male" | "female";
}

export interface JukiNetSystem extends MockSystem {
  readonly state: State;
  readonly directory: Directory;
  /** Announces every unacknowledged mailbox message now (what the timer does); returns how many. */
  reannounce(all?: boolean): Promise<number>;
  /** Resolves once the queue backend is connected (or failed to connect). */
  readonly queueReady: Promise<QueueBackend | undefined>;
}

const ok = (body: unknown, status = 200): MockResponse => ({ status, body });
const error = (status: number, code: string, message: string, extra: object = {}): MockResponse => ({
  status,
  body: { error: code, message, ...extra },
});

export function jukiNet(world: World, opts: JukiNetOptions): JukiNetSystem {
  const logger = opts.logger ?? createLogger({ name: "juki-net", level: "silent" });
  const now = opts.now ?? (() => new Date());
  const dataDir = path.resolve(opts.dataDir);
  const directory = new Directory(world);
  const state = new State(world, (lg) => directory.isHosted(lg));
  const log = new EventLog(opts.stateDir ?? path.join(dataDir, "juki-net"), opts.fsync ?? true);
  for (const batch of log.read()) for (const event of batch) state.apply(event);
  log.open();

  const counters = {
    messageDuplicates: 0,
    messageOutOfOrder: 0,
    identityDuplicates: 0,
    identityOutOfOrder: 0,
    announced: 0,
    reannounced: 0,
    announceFailures: 0,
  };

  // ── Keys ─────────────────────────────────────────────────────────────────────────────────
  const keys = new Map<string, DevKeyPair>();
  const keyPair = (lgCode: string): DevKeyPair | undefined => {
    let pair = keys.get(lgCode);
    if (!pair) {
      const m = directory.get(lgCode);
      if (!m) return undefined;
      pair = devKeyPair(dataDir, m.hosted ? `cs-${lgCode}` : `juki-net-${lgCode}`, "ES256");
      keys.set(lgCode, pair);
    }
    return pair;
  };
  for (const m of world.municipalities) keyPair(m.lgCode);
  const publicKey = (lgCode: string) => keyPair(lgCode)?.publicJwk;
  const hostedKey = (lgCode: string) => (directory.isHosted(lgCode) ? publicKey(lgCode) : undefined);

  // ── One writer at a time: check, apply, persist (group commit), then answer ─────────────
  let chain: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = chain.then(fn, fn);
    chain = run.catch(() => {});
    return run;
  };
  /**
   * Applies at once (the next request sees it) and returns when the events are durable. An
   * answer waits for that, and for everything logged before it, so nothing answered is lost;
   * if the log cannot be written the service answers 503 from then on.
   */
  const commit = (events: Event[]): Promise<void> => {
    for (const e of events) state.apply(e);
    return log.append(events);
  };
  const storageFailure = (): MockResponse | undefined =>
    log.broken ? error(503, "storageFailure", "the stand-in cannot write its log") : undefined;

  // ── Queue ────────────────────────────────────────────────────────────────────────────────
  let ownBackend: QueueBackend | undefined;
  const queueReady: Promise<QueueBackend | undefined> = (async () => {
    if (!opts.queue) return undefined;
    if ("queue" in opts.queue && typeof opts.queue.queue === "function") return opts.queue;
    try {
      ownBackend = await createQueueBackend(opts.queue as QueueBackendConfig);
      return ownBackend;
    } catch (err) {
      logger.error(
        { err: (err as Error).message },
        "juki-net: queue unreachable; mailboxes are pollable only",
      );
      return undefined;
    }
  })();
  const lastAnnounced = new Map<string, number>();
  const inbound = queues.jukiNetInbound;

  async function announce(ids: string[], again: boolean): Promise<number> {
    const backend = await queueReady;
    if (!backend) return 0;
    let n = 0;
    for (const id of ids) {
      const m = state.messages.get(id);
      if (m?.route !== "mailbox" || m.ackedAt) continue;
      lastAnnounced.set(id, Date.now());
      const data: JobEnvelope<{ messageId: string; kind: string }> = {
        messageId: id,
        lgCode: m.envelope.to,
        ...(m.envelope.orderingKey !== undefined
          ? {
              orderingKey: `juki-net:${m.envelope.from}:${m.envelope.orderingKey}`,
              sequence: m.envelope.sequence!,
            }
          : {}),
        data: inbound.schema.parse({ messageId: id, kind: m.envelope.kind }),
      };
      try {
        await withTimeout(backend.queue(inbound.name).add(inbound.name, data, { jobId: id }), 5_000);
        if (again) counters.reannounced++;
        else counters.announced++;
        n++;
      } catch (err) {
        counters.announceFailures++;
        logger.warn({ messageId: id, err: (err as Error).message }, "juki-net: cannot announce; will retry");
      }
    }
    return n;
  }

  const reannounceAfterMs = opts.reannounceAfterMs ?? 30_000;
  function unacked(olderThanMs: number): string[] {
    const limit = Date.now() - olderThanMs;
    const ids: string[] = [];
    for (const box of state.mailboxes.values()) {
      for (const id of box) {
        if (state.messages.get(id)?.ackedAt) continue;
        if ((lastAnnounced.get(id) ?? 0) <= limit) ids.push(id);
      }
    }
    return ids;
  }
  let ticking = false;
  const tick = async () => {
    if (ticking) return;
    ticking = true;
    try {
      await announce(unacked(reannounceAfterMs), true);
    } finally {
      ticking = false;
    }
  };
  // Everything unacknowledged at start: its job may have been lost with the previous process.
  const startup = announce(unacked(-1), true).catch(() => 0);
  const timer = setInterval(
    () => void tick(),
    opts.reannounceIntervalMs ?? Math.min(reannounceAfterMs, 5_000),
  );
  timer.unref();

  // ── Messages ─────────────────────────────────────────────────────────────────────────────
  const digest = (e: Envelope) => createHash("sha256").update(JSON.stringify(e)).digest("base64url");

  interface Batch {
    events: Event[];
    order: Map<string, number>;
    announce: string[];
    sent: string[];
  }

  /** Routes an accepted message inside a batch: mailbox, or the stand-in municipality's reaction. */
  async function route(envelope: Envelope, jws: string, generated: boolean, batch: Batch): Promise<Answer> {
    const hosted = directory.isHosted(envelope.to);
    const answer: Answer = {
      status: 202,
      body: { id: envelope.id, accepted: true, route: hosted ? "mailbox" : "standIn" },
    };
    const message: StoredMessage = {
      envelope,
      jws,
      digest: digest(envelope),
      route: hosted ? "mailbox" : "standIn",
      receivedAt: now().toISOString(),
      generated,
      answer,
    };
    batch.events.push({ t: "message", message });
    if (envelope.orderingKey !== undefined) batch.order.set(orderKey(envelope), envelope.sequence!);
    if (hosted) batch.announce.push(envelope.id);
    else {
      const at = now();
      const reaction = react(state, envelope, at.toISOString().slice(0, 10), at.toISOString());
      batch.events.push(...reaction.events);
      for (const out of reaction.send) await send(out, batch);
    }
    return answer;
  }

  /** A stand-in municipality sends a message: signed with its key, routed like any other. */
  async function send(out: Outgoing, batch: Batch): Promise<void> {
    const pair = keyPair(out.from);
    if (!pair) throw new Error("no key for a stand-in municipality");
    const orderingKey = out.applicationId;
    let sequence: number | undefined;
    if (orderingKey !== undefined) {
      const k = orderKey({ from: out.from, to: out.to, orderingKey });
      sequence = (batch.order.get(k) ?? state.expectedMessageSequence({ ...out, orderingKey }) - 1) + 1;
    }
    const envelope = newEnvelope(
      {
        kind: out.kind,
        from: out.from,
        to: out.to,
        ...(out.inReplyTo ? { inReplyTo: out.inReplyTo } : {}),
        ...(out.applicationId ? { applicationId: out.applicationId } : {}),
        ...(orderingKey !== undefined ? { orderingKey, sequence } : {}),
        body: out.body,
      } as Parameters<typeof newEnvelope>[0],
      now(),
    );
    const jws = await signMessage(envelope, pair.privateJwk);
    batch.sent.push(envelope.id);
    await route(envelope, jws, true, batch);
  }

  async function runBatch(fn: (batch: Batch) => Promise<MockResponse>): Promise<MockResponse> {
    const broken = storageFailure();
    if (broken) return broken;
    const batch: Batch = { events: [], order: new Map(), announce: [], sent: [] };
    const { result, durable } = await exclusive(async () => {
      const r = await fn(batch);
      return { result: r, durable: commit(batch.events) };
    });
    try {
      await durable;
    } catch {
      return storageFailure() ?? error(503, "storageFailure", "the stand-in cannot write its log");
    }
    if (batch.announce.length) await announce(batch.announce, false);
    return result;
  }

  /** Reads wait until what they may see is durable (it was, or is about to be, answered). */
  async function settled(): Promise<MockResponse | undefined> {
    try {
      await log.barrier();
      return undefined;
    } catch {
      return error(503, "storageFailure", "the stand-in cannot write its log");
    }
  }

  async function receiveMessage(req: MockRequest): Promise<MockResponse> {
    const jws = (req.body as { jws?: unknown } | undefined)?.jws;
    let verified: Awaited<ReturnType<typeof verifyMessage>>;
    try {
      verified = await verifyMessage(jws, publicKey);
    } catch (err) {
      if (err instanceof SignatureError) return error(401, err.code, err.message);
      throw err;
    }
    if (!verified.from || !directory.get(verified.from))
      return error(400, "unknownMunicipality", "the sender is not a known municipality");
    const parsed = parseEnvelope(verified.payload);
    if (!parsed.ok)
      return error(400, "invalid", "the envelope or its body is invalid", { issues: parsed.issues });
    const envelope = parsed.envelope;
    if (!directory.get(envelope.to) || envelope.to === envelope.from)
      return error(400, "unknownMunicipality", "the receiver is not a known municipality (or is the sender)");
    return runBatch(async (batch) => {
      const known = state.messages.get(envelope.id);
      if (known) {
        if (known.digest !== digest(envelope))
          return error(409, "idReused", "this message id was accepted with a different content");
        counters.messageDuplicates++;
        return known.answer;
      }
      if (envelope.orderingKey !== undefined) {
        const expected = state.expectedMessageSequence(envelope);
        if (envelope.sequence !== expected) {
          counters.messageOutOfOrder++;
          return error(409, "outOfOrder", "an earlier message of this ordering key is missing", {
            expectedSequence: expected,
          });
        }
      }
      return route(envelope, jws as string, false, batch);
    });
  }

  // ── Authentication of the CS endpoints ──────────────────────────────────────────────────
  // A client may reuse its assertion until it expires; a verified one is remembered until then.
  const verified = new Map<string, { lgCode: string; exp: number }>();
  const authenticate = async (req: MockRequest) => {
    const header = req.headers.authorization;
    if (!header) return undefined;
    const seconds = now().getTime() / 1000;
    const known = verified.get(header);
    if (known && known.exp > seconds) return known.lgCode;
    const lgCode = await verifyAssertion(header, hostedKey, now());
    if (lgCode) {
      if (verified.size > 1_000) verified.clear();
      verified.set(header, { lgCode, exp: decodeJwt(header.slice("Bearer ".length)).exp ?? seconds });
    }
    return lgCode;
  };
  const unauthenticated = () =>
    error(401, "unauthenticated", "a valid client assertion of a hosted municipality is required");
  const forbidden = () => error(403, "forbidden", "the assertion is for another municipality");

  // ── Identity information ────────────────────────────────────────────────────────────────
  async function identityUpdate(req: MockRequest): Promise<MockResponse> {
    const asker = await authenticate(req);
    if (!asker) return unauthenticated();
    const parsed = identityUpdateSchema.safeParse(req.body);
    if (!parsed.success)
      return error(400, "invalid", "invalid identity update", {
        issues: parsed.error.issues.map((i) => i.path.join(".")),
      });
    const u = parsed.data;
    if (u.lgCode !== asker) return forbidden();
    let applied = false;
    const answer = await runBatch(async (batch) => {
      const known = state.updateAnswers.get(u.id);
      if (known) {
        counters.identityDuplicates++;
        return known;
      }
      const expected = state.expectedSequence(u.lgCode, u.residentCode);
      if (u.sequence !== expected) {
        counters.identityOutOfOrder++;
        return error(409, "outOfOrder", "an earlier update of this person is missing", {
          expectedSequence: expected,
        });
      }
      const entry = entryFromUpdate(u, now().toISOString());
      const answer: Answer = {
        status: 200,
        body: {
          id: u.id,
          applied: true,
          residentCode: u.residentCode,
          lgCode: u.lgCode,
          sequence: u.sequence,
          removed: entry.removed,
        },
      };
      batch.events.push({ t: "entry", entry, update: { id: u.id, answer } });
      applied = true;
      return answer;
    });
    if (applied && answer.status === 200 && opts.onIdentityUpdate) {
      try {
        opts.onIdentityUpdate({
          residentCode: u.residentCode,
          reason: u.reason,
          addressLine: u.identity.address.line,
          name: { family: u.identity.name.family, given: u.identity.name.given },
          birthDate: u.identity.birthDate,
          sex: u.identity.sex,
        });
      } catch (err) {
        logger.warn({ err: (err as Error).message }, "identity update listener failed");
      }
    }
    return answer;
  }

  async function lookup(req: MockRequest): Promise<MockResponse> {
    const asker = await authenticate(req);
    if (!asker) return unauthenticated();
    const parsed = lookupSchema.safeParse(req.body);
    if (!parsed.success)
      return error(400, "invalid", "invalid look-up", {
        issues: parsed.error.issues.map((i) => i.path.join(".")),
      });
    const q = parsed.data;
    const waited = await settled();
    if (waited) return waited;
    const withHistory = (info: IdentityInfo) =>
      q.includeHistory ? { ...info, history: state.history(info.residentCode) } : info;
    const single = (code: string | undefined) => {
      const info = code ? state.current(code) : undefined;
      return info
        ? ok({ level: directory.level(asker, info.lgCode), matches: [withHistory(info)] })
        : ok({ level: null, matches: [] });
    };
    if (q.by === "residentCode") return single(q.residentCode);
    if (q.by === "myNumber") return single(state.residentCodeOfMyNumber(q.myNumber));
    if (!q.name && !q.kana) return error(400, "invalid", "name or kana is required", { issues: ["name"] });
    const all = state.findByFourItems(q, q.includeRemoved ?? false);
    for (const level of ["municipality", "prefecture", "nation"] as Level[]) {
      const matches = all.filter((info) => directory.level(asker, info.lgCode) === level);
      if (matches.length) return ok({ level, matches: matches.map(withHistory) });
    }
    return ok({ level: null, matches: [] });
  }

  // ── Mailboxes ───────────────────────────────────────────────────────────────────────────
  async function mailboxAuth(req: MockRequest): Promise<MockResponse | undefined> {
    const asker = await authenticate(req);
    if (!asker) return unauthenticated();
    if (asker !== req.params.lgCode) return forbidden();
    return undefined;
  }
  const inMailbox = (lgCode: string, id: string) => {
    const m = state.messages.get(id);
    return m && m.route === "mailbox" && m.envelope.to === lgCode ? m : undefined;
  };

  const routes: Route[] = [
    { method: "POST", path: "/cs/messages", endpoint: "messages", handle: receiveMessage },
    { method: "POST", path: "/cs/identity-updates", endpoint: "identity-update", handle: identityUpdate },
    { method: "POST", path: "/cs/identity/lookup", endpoint: "identity-lookup", handle: lookup },
    {
      method: "GET",
      path: "/cs/mailboxes/:lgCode/messages",
      endpoint: "mailbox-list",
      handle: async (req) => {
        const refused = (await mailboxAuth(req)) ?? (await settled());
        if (refused) return refused;
        const onlyUnacked = req.query.get("unacked") === "1";
        const messages = (state.mailboxes.get(req.params.lgCode!) ?? [])
          .map((id) => state.messages.get(id)!)
          .filter((m) => !onlyUnacked || !m.ackedAt)
          .map((m) => ({
            id: m.envelope.id,
            kind: m.envelope.kind,
            from: m.envelope.from,
            receivedAt: m.receivedAt,
            acked: Boolean(m.ackedAt),
          }));
        return ok({ messages });
      },
    },
    {
      method: "GET",
      path: "/cs/mailboxes/:lgCode/messages/:id",
      endpoint: "mailbox-fetch",
      handle: async (req) => {
        const refused = (await mailboxAuth(req)) ?? (await settled());
        if (refused) return refused;
        const m = inMailbox(req.params.lgCode!, req.params.id!);
        if (!m) return error(404, "notFound", "no such message in this mailbox");
        return ok({
          id: m.envelope.id,
          kind: m.envelope.kind,
          from: m.envelope.from,
          to: m.envelope.to,
          receivedAt: m.receivedAt,
          acked: Boolean(m.ackedAt),
          envelope: m.envelope,
          jws: m.jws,
        });
      },
    },
    {
      method: "POST",
      path: "/cs/mailboxes/:lgCode/messages/:id/ack",
      endpoint: "mailbox-ack",
      handle: async (req) => {
        const refused = await mailboxAuth(req);
        if (refused) return refused;
        const lgCode = req.params.lgCode!;
        const id = req.params.id!;
        return runBatch(async (batch) => {
          const m = inMailbox(lgCode, id);
          if (!m) return error(404, "notFound", "no such message in this mailbox");
          const ackedAt = m.ackedAt ?? now().toISOString();
          if (!m.ackedAt) batch.events.push({ t: "ack", lgCode, id, at: ackedAt });
          return ok({ id, acked: true, ackedAt });
        });
      },
    },
    {
      method: "GET",
      path: "/cs/keys",
      endpoint: "keys",
      handle: () => {
        for (const m of world.municipalities) keyPair(m.lgCode);
        return ok({
          keys: [...keys.entries()].map(([lgCode, pair]) => ({ ...pair.publicJwk, use: "sig", lgCode })),
        });
      },
    },
    {
      method: "GET",
      path: "/cs/stats",
      endpoint: "stats",
      handle: () => {
        const s = state.stats();
        return ok({
          messages: {
            ...s,
            duplicates: counters.messageDuplicates,
            outOfOrder: counters.messageOutOfOrder,
            announced: counters.announced,
            reannounced: counters.reannounced,
            announceFailures: counters.announceFailures,
          },
          identity: {
            applied: state.identityApplied,
            duplicates: counters.identityDuplicates,
            outOfOrder: counters.identityOutOfOrder,
          },
        });
      },
    },
    {
      method: "POST",
      path: "/_control/move-in",
      endpoint: "control-move-in",
      handle: async (req) => {
        const applicationId = (req.body as { applicationId?: unknown } | undefined)?.applicationId;
        if (typeof applicationId !== "string") return error(400, "invalid", "applicationId is required");
        return runBatch(async (batch) => {
          const at = now();
          const reaction = completeMoveIn(
            state,
            directory,
            applicationId,
            at.toISOString().slice(0, 10),
            at.toISOString(),
          );
          if (!reaction) return error(404, "notFound", "no pending move-in for this application");
          batch.events.push(...reaction.events);
          for (const out of reaction.send) await send(out, batch);
          return ok({ sent: [...batch.sent] });
        });
      },
    },
  ];

  const system = new MockSystem("juki-net", routes) as JukiNetSystem;
  // close() runs these last first: stop the timer and the log, then the queue connection.
  system.onClose(async () => {
    await queueReady;
    await ownBackend?.close();
  });
  system.onClose(async () => {
    clearInterval(timer);
    await startup;
    await chain.catch(() => {});
    await log.close();
  });
  return Object.assign(system, {
    state,
    directory,
    queueReady,
    reannounce: (all = true) => announce(all ? unacked(-1) : unacked(reannounceAfterMs), true),
  });
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
