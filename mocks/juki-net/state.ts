import type { World, WorldPerson } from "../../lib/world.js";
import { type FourItems, matchesFourItems } from "./matching.js";
import {
  type CertificatePerson,
  type Envelope,
  type IdentityInfo,
  type IdentityUpdate,
  type MessageKind,
  type Reason,
  removingReasons,
} from "./protocol.js";

/**
 * The stand-in's whole state, changed only by `apply(event)`: live requests compute events,
 * persist them, then apply them; a restart replays the same events (history is append-only,
 * everything else is derived from it).
 */

export type Entry = Omit<IdentityInfo, "movingOut">;

export interface StoredMessage {
  envelope: Envelope;
  jws: string;
  /** sha256 of the payload, to tell a retry from a reused id. */
  digest: string;
  route: "mailbox" | "standIn";
  receivedAt: string;
  /** Sent by one of the stand-in's own municipalities (an answer it generated). */
  generated: boolean;
  answer: Answer;
  ackedAt?: string;
}

export interface Answer {
  status: number;
  body: unknown;
}

export interface MoveOutCase {
  applicationId: string;
  lgCode: string;
  to: string;
  plannedDate: string;
  residentCodes: string[];
  status: "moving" | "confirmed" | "cancelled";
}

export interface PendingMoveIn {
  applicationId: string;
  lgCode: string;
  messageId: string;
  done: boolean;
}

/** A stand-in municipality's register row: what a 転出証明書情報 needs beyond identity info. */
export type RegisterRow = Omit<
  CertificatePerson,
  "statusLines" | "name" | "birthDate" | "sex" | "myNumber"
> & {
  householdId: string;
};

export type Event =
  | { t: "entry"; entry: Entry; update?: { id: string; answer: Answer } }
  | { t: "message"; message: StoredMessage }
  | { t: "ack"; lgCode: string; id: string; at: string }
  | { t: "moveOut"; case: MoveOutCase }
  | { t: "annex"; lgCode: string; messageId: string }
  | { t: "pendingMoveIn"; pending: PendingMoveIn }
  | { t: "register"; lgCode: string; row: RegisterRow };

interface PersonState {
  history: Entry[];
  /** Last sequence per municipality's series. */
  series: Map<string, number>;
  /** Latest entry per municipality's series. */
  latest: Map<string, Entry>;
}

export class State {
  readonly persons = new Map<string, PersonState>();
  private readonly byMyNumber = new Map<string, string>();
  private readonly byBirthDate = new Map<string, Set<string>>();
  readonly updateAnswers = new Map<string, Answer>();
  readonly messages = new Map<string, StoredMessage>();
  readonly mailboxes = new Map<string, string[]>();
  readonly messageOrder = new Map<string, number>();
  readonly moveOuts = new Map<string, MoveOutCase>();
  readonly movingOut = new Map<string, MoveOutCase>();
  readonly annexLog = new Map<string, string[]>();
  readonly pendingMoveIns = new Map<string, PendingMoveIn>();
  readonly register = new Map<string, RegisterRow & { lgCode: string }>();
  identityApplied = 0;

  /** The world file's people as the national server's starting state; stand-in registers from it. */
  constructor(world: World, isHosted: (lgCode: string) => boolean) {
    const households = new Map(world.households.map((h) => [h.id, h]));
    const heads = new Map<string, WorldPerson>();
    for (const p of world.people) if (p.relationship === "世帯主") heads.set(p.householdId, p);
    for (const p of world.people) {
      this.addEntry({
        residentCode: p.residentCode,
        myNumber: p.myNumber,
        name: p.name,
        birthDate: p.birthDate,
        sex: p.sex,
        address: {
          ...p.address,
          lgCode: p.address.lgCode ?? households.get(p.householdId)?.address.lgCode ?? p.lgCode,
        },
        lgCode: p.lgCode,
        reason: "seed",
        reasonDate: p.addressSince,
        removed: false,
        sequence: 0,
        recordedAt: p.addressSince,
      });
      if (!isHosted(p.lgCode)) {
        const head = heads.get(p.householdId);
        const f = p.foreigner as CertificatePerson["foreigner"] | undefined;
        this.register.set(p.residentCode, {
          lgCode: p.lgCode,
          residentCode: p.residentCode,
          householdId: p.householdId,
          householdHead: p.relationship === "世帯主",
          householdHeadName: head ? `${head.name.family}　${head.name.given}` : "",
          relationship: p.relationship,
          ...(p.honseki ? { honseki: p.honseki } : {}),
          nationality: p.nationality,
          ...(f ? { foreigner: f } : {}),
          residentSince: p.residentSince,
          addressSince: p.addressSince,
          supportMeasure: p.supportMeasure !== undefined,
        });
      }
    }
  }

  apply(event: Event): void {
    switch (event.t) {
      case "entry":
        this.addEntry(event.entry);
        if (event.update) {
          this.updateAnswers.set(event.update.id, event.update.answer);
          this.identityApplied++;
        }
        return;
      case "message": {
        const m = event.message;
        this.messages.set(m.envelope.id, m);
        if (m.envelope.orderingKey !== undefined)
          this.messageOrder.set(orderKey(m.envelope), m.envelope.sequence!);
        if (m.route === "mailbox") {
          const box = this.mailboxes.get(m.envelope.to) ?? [];
          box.push(m.envelope.id);
          this.mailboxes.set(m.envelope.to, box);
        }
        return;
      }
      case "ack": {
        const m = this.messages.get(event.id);
        if (m && !m.ackedAt) m.ackedAt = event.at;
        return;
      }
      case "moveOut": {
        const c = event.case;
        this.moveOuts.set(c.applicationId, c);
        for (const code of c.residentCodes) {
          if (c.status === "moving") this.movingOut.set(code, c);
          else if (this.movingOut.get(code)?.applicationId === c.applicationId) this.movingOut.delete(code);
        }
        return;
      }
      case "annex": {
        const log = this.annexLog.get(event.lgCode) ?? [];
        log.push(event.messageId);
        this.annexLog.set(event.lgCode, log);
        return;
      }
      case "pendingMoveIn":
        this.pendingMoveIns.set(event.pending.applicationId, event.pending);
        return;
      case "register":
        this.register.set(event.row.residentCode, { ...event.row, lgCode: event.lgCode });
        return;
    }
  }

  private addEntry(entry: Entry): void {
    let person = this.persons.get(entry.residentCode);
    if (!person) {
      person = { history: [], series: new Map(), latest: new Map() };
      this.persons.set(entry.residentCode, person);
    }
    const previous = this.current(entry.residentCode);
    person.history.push(entry);
    person.series.set(entry.lgCode, entry.sequence);
    person.latest.set(entry.lgCode, entry);
    this.byMyNumber.set(entry.myNumber, entry.residentCode);
    if (previous && previous.birthDate !== entry.birthDate)
      this.byBirthDate.get(previous.birthDate)?.delete(entry.residentCode);
    const set = this.byBirthDate.get(entry.birthDate) ?? new Set();
    set.add(entry.residentCode);
    this.byBirthDate.set(entry.birthDate, set);
  }

  /** The next sequence the municipality's series of this person expects. */
  expectedSequence(lgCode: string, residentCode: string): number {
    return (this.persons.get(residentCode)?.series.get(lgCode) ?? 0) + 1;
  }

  expectedMessageSequence(envelope: Pick<Envelope, "from" | "to" | "orderingKey">): number {
    return (this.messageOrder.get(orderKey(envelope)) ?? 0) + 1;
  }

  /**
   * Current identity information: the latest entry among the series that are not removed;
   * when every series is removed, the latest entry (marked removed).
   */
  current(residentCode: string): IdentityInfo | undefined {
    const person = this.persons.get(residentCode);
    if (!person) return undefined;
    let best: Entry | undefined;
    for (let i = person.history.length - 1; i >= 0; i--) {
      const e = person.history[i]!;
      if (person.latest.get(e.lgCode) === e && !e.removed) {
        best = e;
        break;
      }
    }
    const entry = best ?? person.history[person.history.length - 1]!;
    const moving = this.movingOut.get(residentCode);
    return moving && moving.lgCode === entry.lgCode && !entry.removed
      ? {
          ...entry,
          movingOut: { to: moving.to, plannedDate: moving.plannedDate, applicationId: moving.applicationId },
        }
      : { ...entry };
  }

  /** The latest entry of one municipality's series (its own view of the person). */
  latestIn(lgCode: string, residentCode: string): Entry | undefined {
    return this.persons.get(residentCode)?.latest.get(lgCode);
  }

  history(residentCode: string): Entry[] {
    return [...(this.persons.get(residentCode)?.history ?? [])];
  }

  residentCodeOfMyNumber(myNumber: string): string | undefined {
    return this.byMyNumber.get(myNumber);
  }

  /** Every person whose current identity information matches the four items. */
  findByFourItems(q: FourItems, includeRemoved: boolean): IdentityInfo[] {
    const out: IdentityInfo[] = [];
    for (const code of this.byBirthDate.get(q.birthDate) ?? []) {
      const info = this.current(code);
      if (!info || (info.removed && !includeRemoved)) continue;
      if (info.birthDate === q.birthDate && matchesFourItems(q, info)) out.push(info);
    }
    return out;
  }

  /** A stand-in municipality's own current residents matching the four items (its view only). */
  findInMunicipality(lgCode: string, q: FourItems): Entry[] {
    const out: Entry[] = [];
    for (const code of this.byBirthDate.get(q.birthDate) ?? []) {
      const e = this.latestIn(lgCode, code);
      if (e && !e.removed && matchesFourItems(q, e)) out.push(e);
    }
    return out;
  }

  stats() {
    let routedToMailbox = 0;
    let handledByStandIn = 0;
    let sentByStandIn = 0;
    let acknowledged = 0;
    let unacknowledged = 0;
    for (const m of this.messages.values()) {
      if (m.generated) sentByStandIn++;
      if (m.route === "standIn") handledByStandIn++;
      if (m.route === "mailbox") {
        routedToMailbox++;
        if (m.ackedAt) acknowledged++;
        else unacknowledged++;
      }
    }
    return {
      received: this.messages.size - sentByStandIn,
      routedToMailbox,
      handledByStandIn,
      sentByStandIn,
      acknowledged,
      unacknowledged,
    };
  }
}

export function orderKey(e: Pick<Envelope, "from" | "to" | "orderingKey">): string {
  return `${e.from}|${e.to}|${e.orderingKey}`;
}

export function entryFromUpdate(u: IdentityUpdate, recordedAt: string): Entry {
  return {
    residentCode: u.residentCode,
    myNumber: u.identity.myNumber,
    name: u.identity.name,
    birthDate: u.identity.birthDate,
    sex: u.identity.sex,
    address: u.identity.address,
    lgCode: u.lgCode,
    reason: u.reason,
    reasonDate: u.reasonDate,
    removed: removingReasons.has(u.reason),
    sequence: u.sequence,
    recordedAt,
  };
}

export type { MessageKind, Reason };
