import { randomUUID } from "node:crypto";
import type { Directory } from "./municipalities.js";
import {
  type Address,
  type CertificatePerson,
  type Envelope,
  type MessageBody,
  type MessageKind,
  moveInNoticeBody,
  moveOutCancelBody,
  moveOutCertificateBody,
  moveOutRequestBody,
  type StatusLines,
} from "./protocol.js";
import type { Entry, Event, MoveOutCase, State } from "./state.js";

/**
 * The municipalities the back office does not host, answering like real ones. Each reaction
 * reads the state as it was before the request and returns events plus the messages to send;
 * nothing here writes.
 */

export interface Outgoing<K extends MessageKind = MessageKind> {
  kind: K;
  from: string;
  to: string;
  inReplyTo?: string;
  applicationId?: string;
  body: MessageBody<K>;
}

export interface Reaction {
  events: Event[];
  send: Outgoing[];
}

export function react(state: State, msg: Envelope, today: string, now: string): Reaction {
  switch (msg.kind) {
    case "moveOutRequest":
      return moveOutRequest(state, msg, today);
    case "moveInNotice":
      return moveInNotice(state, msg, now);
    case "annexNotice":
      return { events: [{ t: "annex", lgCode: msg.to, messageId: msg.id }], send: [] };
    case "moveOutCancel":
      return moveOutCancel(state, msg);
    case "moveOutCertificate": {
      const body = moveOutCertificateBody.parse(msg.body);
      const applicationId = body.applicationId ?? msg.applicationId ?? msg.id;
      return {
        events: [
          { t: "pendingMoveIn", pending: { applicationId, lgCode: msg.to, messageId: msg.id, done: false } },
        ],
        send: [],
      };
    }
    default:
      // moveOutRefused / moveOutCancelled to a stand-in: recorded with the message, nothing to do.
      return { events: [], send: [] };
  }
}

function moveOutRequest(state: State, msg: Envelope, today: string): Reaction {
  const body = moveOutRequestBody.parse(msg.body);
  const origin = msg.to;
  const refuse = (reason: MessageBody<"moveOutRefused">["reason"], personIndex?: number): Reaction => ({
    events: [],
    send: [
      {
        kind: "moveOutRefused",
        from: origin,
        to: msg.from,
        inReplyTo: msg.id,
        applicationId: body.applicationId,
        body: {
          applicationId: body.applicationId,
          reason,
          ...(personIndex === undefined ? {} : { personIndex }),
        },
      },
    ],
  });
  if (body.destination.lgCode !== msg.from) return refuse("wrongMunicipality");
  const found: Entry[] = [];
  for (const [i, p] of body.persons.entries()) {
    let entry: Entry | undefined;
    if (p.residentCode) {
      entry = state.latestIn(origin, p.residentCode);
      if (!entry) return refuse(state.current(p.residentCode) ? "wrongMunicipality" : "noRecord", i);
      if (entry.birthDate !== p.birthDate || entry.sex !== p.sex) return refuse("noRecord", i);
    } else {
      const matches = state.findInMunicipality(origin, { ...p, address: body.origin.address });
      if (matches.length !== 1) return refuse("noRecord", i);
      entry = matches[0]!;
    }
    if (entry.removed) return refuse("removed", i);
    if (state.movingOut.has(entry.residentCode)) return refuse("alreadyMoving", i);
    found.push(entry);
  }
  const moveOut: MoveOutCase = {
    applicationId: body.applicationId,
    lgCode: origin,
    to: msg.from,
    plannedDate: body.plannedMoveOutDate,
    residentCodes: found.map((e) => e.residentCode),
    status: "moving",
  };
  const persons = found.map((e) => certificatePerson(state, e, found, body.plannedMoveOutDate));
  return {
    events: [{ t: "moveOut", case: moveOut }],
    send: [
      {
        kind: "moveOutCertificate",
        from: origin,
        to: msg.from,
        inReplyTo: msg.id,
        applicationId: body.applicationId,
        body: {
          applicationId: body.applicationId,
          ...(body.receiptNumber ? { receiptNumber: body.receiptNumber } : {}),
          certificateId: `${origin}-${randomUUID()}`,
          issuedOn: today,
          origin: { lgCode: origin, address: found[0]!.address },
          destination: body.destination,
          plannedMoveOutDate: body.plannedMoveOutDate,
          ...(body.plannedVisitDate ? { plannedVisitDate: body.plannedVisitDate } : {}),
          persons,
        },
      },
    ],
  };
}

function certificatePerson(state: State, e: Entry, moving: Entry[], on: string): CertificatePerson {
  const row = state.register.get(e.residentCode);
  const householdHead = row?.householdHead ?? false;
  const childMoving =
    householdHead &&
    moving.some((m) => m.residentCode !== e.residentCode && ageOn(m.birthDate, on) < 18) &&
    row !== undefined;
  return {
    residentCode: e.residentCode,
    myNumber: e.myNumber,
    name: e.name,
    birthDate: e.birthDate,
    sex: e.sex,
    householdHead,
    householdHeadName: row?.householdHeadName ?? "",
    relationship: row?.relationship ?? "",
    ...(row?.honseki ? { honseki: row.honseki } : {}),
    nationality: row?.nationality ?? "JP",
    ...(row?.foreigner ? { foreigner: row.foreigner } : {}),
    residentSince: row?.residentSince ?? e.reasonDate,
    addressSince: row?.addressSince ?? e.reasonDate,
    statusLines: statusLines(ageOn(e.birthDate, on), childMoving),
    supportMeasure: row?.supportMeasure ?? false,
  };
}

/** This project's assumption (the world file has no insurance data): status lines from age. */
export function statusLines(age: number, childAllowance: boolean): StatusLines {
  return {
    nationalHealthInsurance: age < 75,
    lateStageElderlyMedical: age >= 75,
    longTermCare: age >= 65,
    nationalPension: age >= 20 && age < 60 ? "1" : null,
    childAllowance,
  };
}

export function ageOn(birthDate: string, on: string): number {
  const [by, bm, bd] = birthDate.split("-").map(Number) as [number, number, number];
  const [y, m, d] = on.split("-").map(Number) as [number, number, number];
  return y - by - (m < bm || (m === bm && d < bd) ? 1 : 0);
}

function moveInNotice(state: State, msg: Envelope, now: string): Reaction {
  const body = moveInNoticeBody.parse(msg.body);
  const origin = msg.to;
  const events: Event[] = [];
  const cases = new Map<string, MoveOutCase>();
  for (const p of body.persons) {
    const entry = state.latestIn(origin, p.residentCode);
    if (entry && !entry.removed) {
      events.push({
        t: "entry",
        entry: {
          ...entry,
          reason: "moveOut",
          reasonDate: body.movedInOn,
          removed: true,
          sequence: entry.sequence + 1,
          recordedAt: now,
        },
      });
    }
    const c = state.movingOut.get(p.residentCode);
    if (c && c.lgCode === origin) cases.set(c.applicationId, c);
  }
  for (const c of cases.values()) events.push({ t: "moveOut", case: { ...c, status: "confirmed" } });
  return { events, send: [] };
}

function moveOutCancel(state: State, msg: Envelope): Reaction {
  const body = moveOutCancelBody.parse(msg.body);
  const c = state.moveOuts.get(body.applicationId);
  const pending = state.pendingMoveIns.get(body.applicationId);
  const events: Event[] = [];
  let result: MessageBody<"moveOutCancelled">["result"] = "unknown";
  if (c && c.lgCode === msg.to) {
    if (c.status === "confirmed") result = "alreadyCompleted";
    else {
      result = "cancelled";
      if (c.status === "moving") events.push({ t: "moveOut", case: { ...c, status: "cancelled" } });
    }
  } else if (pending && pending.lgCode === msg.to) {
    result = pending.done ? "alreadyCompleted" : "cancelled";
    if (!pending.done) events.push({ t: "pendingMoveIn", pending: { ...pending, done: true } });
  }
  return {
    events,
    send: [
      {
        kind: "moveOutCancelled",
        from: msg.to,
        to: msg.from,
        inReplyTo: msg.id,
        applicationId: body.applicationId,
        body: { applicationId: body.applicationId, result },
      },
    ],
  };
}

/**
 * The resident of a pending 転入 "visits the counter" of the stand-in municipality: it registers
 * the persons, tells the origin (転入通知) and each 本籍地 (附票通知).
 */
export function completeMoveIn(
  state: State,
  directory: Directory,
  applicationId: string,
  today: string,
  now: string,
): Reaction | undefined {
  const pending = state.pendingMoveIns.get(applicationId);
  if (!pending || pending.done) return undefined;
  const certificate = state.messages.get(pending.messageId)?.envelope;
  if (!certificate) return undefined;
  const body = moveOutCertificateBody.parse(certificate.body);
  const here = pending.lgCode;
  const address: Address = body.destination.address;
  const events: Event[] = [{ t: "pendingMoveIn", pending: { ...pending, done: true } }];
  for (const p of body.persons) {
    events.push({
      t: "entry",
      entry: {
        residentCode: p.residentCode,
        myNumber: p.myNumber,
        name: p.name,
        birthDate: p.birthDate,
        sex: p.sex,
        address,
        lgCode: here,
        reason: "moveIn",
        reasonDate: today,
        removed: false,
        sequence: state.expectedSequence(here, p.residentCode),
        recordedAt: now,
      },
    });
    const { statusLines: _s, name: _n, birthDate: _b, sex: _x, myNumber: _m, ...row } = p;
    events.push({
      t: "register",
      lgCode: here,
      row: { ...row, householdId: `${here}-${applicationId}`, residentSince: today, addressSince: today },
    });
  }
  const core = (p: CertificatePerson) => ({
    residentCode: p.residentCode,
    name: p.name,
    birthDate: p.birthDate,
    sex: p.sex,
  });
  const send: Outgoing[] = [
    {
      kind: "moveInNotice",
      from: here,
      to: body.origin.lgCode,
      inReplyTo: certificate.id,
      applicationId,
      body: {
        applicationId,
        certificateId: body.certificateId,
        movedInOn: today,
        notifiedOn: today,
        destination: { lgCode: here, address },
        persons: body.persons.map(core),
      },
    },
  ];
  const byHonseki = new Map<string, CertificatePerson[]>();
  for (const p of body.persons) {
    const where = p.honseki ? directory.locate(p.honseki.address)?.lgCode : undefined;
    if (!where) continue;
    byHonseki.set(where, [...(byHonseki.get(where) ?? []), p]);
  }
  for (const [to, persons] of byHonseki) {
    const annex: MessageBody<"annexNotice"> = {
      persons: persons.map((p) => ({
        ...core(p),
        honseki: p.honseki!,
        address,
        addressSetOn: today,
        reason: "moveIn" as const,
      })),
    };
    if (to === here) {
      // Its own 本籍 residents: the 附票 is updated in-house, no message.
      continue;
    }
    send.push({ kind: "annexNotice", from: here, to, applicationId, body: annex });
  }
  return { events, send };
}
