/**
 * Loaders and actions of the card pages (routes/reservations.$id.identity.tsx, routes/cards.*.tsx
 * stay thin): staff and CSRF checks, the form's schema, the domain call, and its refusals turned
 * into field errors. PINs are read from the POST body and passed on; never logged or returned.
 */
import { randomUUID } from "node:crypto";
import { parseWithZod } from "@conform-to/zod";
import { type ActionFunctionArgs, data, type LoaderFunctionArgs, redirect } from "@remix-run/node";
import { assertCsrf, forbidden, notFound, requireStaff } from "../auth/session.server.js";
import { ForbiddenError } from "../register/authorization.js";
import { RegisterValidationError, RequestKeyReusedError } from "../register/errors.js";
import { findByResidentCode, SearchError } from "../register/search.queries.js";
import { cardContinuedUseDeadline } from "../register/time-rules.js";
import { services } from "../services.server.js";
import { type CardListItem, CardTerminalUnavailableError } from "./card-terminal.js";
import {
  cardOperationsOf,
  identityChecksOf,
  latestMoveIn,
  reservationForCheck,
  residentForCards,
} from "./cards.queries.js";
import { CardWorkNotFoundError, checkIdentityWithCard, NetworkUnavailableError } from "./identity-check.js";
import { OPERATION_LABELS, processCard } from "./processing.js";
import { cardOperationSchema, identityCheckSchema, residentLookupSchema } from "./schema.js";
import { cardServices } from "./services.server.js";

const ROLES = ["clerk", "supervisor"] as const;
const NO_STORE = { "Cache-Control": "no-store" };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface CardOption {
  value: string;
  label: string;
}

async function cardOptions(
  list: () => Promise<CardListItem[]>,
): Promise<{ cards: CardOption[]; cardsError: string | null }> {
  try {
    const cards = await list();
    return {
      cards: cards.map((c) => ({
        value: c.cardId,
        label: `${c.name}（${c.nameKana}）カード番号 末尾 ${c.lastFour}`,
      })),
      cardsError: null,
    };
  } catch (err) {
    if (err instanceof CardTerminalUnavailableError) return { cards: [], cardsError: err.message };
    throw err;
  }
}

function fieldErrors(err: RegisterValidationError): Record<string, string[]> {
  return Object.fromEntries(Object.entries(err.fields).map(([k, v]) => [k, [v]]));
}

// ─── 本人確認 ────────────────────────────────────────────────────────────────────────────

export async function identityLoader({ request, params, context }: LoaderFunctionArgs) {
  const office = services(context);
  const staff = await requireStaff(office, request, { roles: ROLES });
  const id = params.id ?? "";
  const reservation = UUID.test(id) ? await reservationForCheck(office.db, id) : undefined;
  if (!reservation || reservation.lgCode !== staff.lgCode)
    throw notFound("この予約は見つかりませんでした（他の市区町村の予約は表示できません）。");
  const people = (Array.isArray(reservation.people) ? reservation.people : []) as {
    name?: { family: string; given: string; familyKana: string; givenKana: string };
  }[];
  const { cards, cardsError } = await cardOptions(() => cardServices(office).terminal.cards());
  const checks = await identityChecksOf(office.db, reservation.id);
  return data(
    {
      csrf: staff.csrfToken,
      requestKey: randomUUID(),
      reservation: {
        id: reservation.id,
        status: reservation.status,
        receiptNumber: reservation.receiptNumber,
        people: people.map((p) => (p.name ? `${p.name.family} ${p.name.given}` : "—")),
      },
      cards,
      cardsError,
      checks: checks.map((c) => ({
        id: c.id,
        outcome: c.outcome,
        mismatches: c.mismatches,
        personIndex: c.person_index,
        checkedBy: c.checked_by,
        checkedAt: c.checked_at.toISOString(),
        cardLastFour: c.card_last_four,
      })),
    },
    { headers: NO_STORE },
  );
}

export async function identityAction({ request, params, context }: ActionFunctionArgs) {
  const office = services(context);
  const staff = await requireStaff(office, request, { roles: ROLES });
  const form = await request.formData();
  assertCsrf(staff, form);
  const submission = parseWithZod(form, { schema: identityCheckSchema });
  if (submission.status !== "success")
    return data(
      { reply: submission.reply({ hideFields: ["pin"] }), result: null, nextKey: null },
      { status: 400, headers: NO_STORE },
    );
  const cards = cardServices(office);
  try {
    const result = await checkIdentityWithCard(
      { db: office.db, terminal: cards.terminal, network: cards.network },
      {
        actor: { staffId: staff.staffId, lgCode: staff.lgCode, roles: [...staff.roles] },
        reservationId: params.id ?? "",
        cardId: submission.value.cardId,
        pin: submission.value.pin,
        requestKey: submission.value.requestKey,
      },
    );
    // The PIN is never sent back: the reply resets the form.
    return data(
      { reply: submission.reply({ resetForm: true, hideFields: ["pin"] }), result, nextKey: randomUUID() },
      { headers: NO_STORE },
    );
  } catch (err) {
    if (err instanceof ForbiddenError) throw forbidden(err.message);
    if (err instanceof CardWorkNotFoundError) throw notFound(err.message);
    if (err instanceof RegisterValidationError)
      return data(
        {
          reply: submission.reply({ fieldErrors: fieldErrors(err), hideFields: ["pin"] }),
          result: null,
          nextKey: null,
        },
        { status: 400, headers: NO_STORE },
      );
    if (err instanceof NetworkUnavailableError || err instanceof CardTerminalUnavailableError)
      return data(
        {
          reply: submission.reply({ formErrors: [err.message], hideFields: ["pin"] }),
          result: null,
          nextKey: null,
        },
        { status: 503, headers: NO_STORE },
      );
    throw err;
  }
}

// ─── カードの手続: 住民の選択 ─────────────────────────────────────────────────────────────

export async function cardsIndexLoader({ request, context }: LoaderFunctionArgs) {
  const staff = await requireStaff(services(context), request, { roles: ROLES });
  return data({ csrf: staff.csrfToken }, { headers: NO_STORE });
}

/** POST only, so the 住民票コード never travels in a URL; the look-up is audited by the register. */
export async function cardsIndexAction({ request, context }: ActionFunctionArgs) {
  const office = services(context);
  const staff = await requireStaff(office, request, { roles: ROLES });
  const form = await request.formData();
  assertCsrf(staff, form);
  const submission = parseWithZod(form, { schema: residentLookupSchema });
  if (submission.status !== "success")
    return data({ reply: submission.reply() }, { status: 400, headers: NO_STORE });
  try {
    const hit = await findByResidentCode(office.db, {
      actor: { staffId: staff.staffId, lgCode: staff.lgCode, roles: [...staff.roles] },
      lgCode: staff.lgCode,
      purpose: "マイナンバーカードの手続",
      residentCode: submission.value.residentCode,
    });
    if (!hit)
      return data(
        {
          reply: submission.reply({
            fieldErrors: { residentCode: ["この住民票コードの方は、この市区町村の住民記録にありません"] },
          }),
        },
        { status: 404, headers: NO_STORE },
      );
    return redirect(`/cards/${hit.id}`, { headers: NO_STORE });
  } catch (err) {
    if (err instanceof ForbiddenError) throw forbidden(err.message);
    if (err instanceof SearchError)
      return data(
        { reply: submission.reply({ fieldErrors: { residentCode: [err.message] } }) },
        { status: 400, headers: NO_STORE },
      );
    throw err;
  }
}

// ─── カードの手続: 一人の住民 ─────────────────────────────────────────────────────────────

export async function cardsPageLoader({ request, params, context }: LoaderFunctionArgs) {
  const office = services(context);
  const staff = await requireStaff(office, request, { roles: ROLES });
  const id = params.residentId ?? "";
  const resident = UUID.test(id) ? await residentForCards(office.db, id) : undefined;
  if (!resident || resident.lgCode !== staff.lgCode)
    throw notFound("この住民記録は見つかりませんでした（他の市区町村の住民記録は扱えません）。");
  const moveIn = await latestMoveIn(office.db, resident.id);
  const { cards, cardsError } = await cardOptions(() => cardServices(office).terminal.cards());
  const operations = await cardOperationsOf(office.db, resident.id);
  return data(
    {
      csrf: staff.csrfToken,
      requestKey: randomUUID(),
      today: office.today(),
      resident: {
        id: resident.id,
        name: `${resident.familyName} ${resident.givenName}`,
        kana: `${resident.familyKana} ${resident.givenKana}`,
        birthDate: resident.birthDate,
        address: resident.addressLine,
        status: resident.status,
      },
      moveIn: moveIn?.notifiedOn
        ? { notifiedOn: moveIn.notifiedOn, deadline: cardContinuedUseDeadline(moveIn.notifiedOn) }
        : null,
      cards,
      cardsError,
      operations: operations.map((o) => ({
        id: o.id,
        operation: o.operation,
        label: OPERATION_LABELS[o.operation],
        status: o.status,
        refusal: o.refusal_message,
        lastError: o.last_error,
        attempts: o.attempts,
        cardLastFour: o.card_last_four,
        requestedBy: o.requested_by,
        createdAt: o.created_at.toISOString(),
      })),
    },
    { headers: NO_STORE },
  );
}

export async function cardsPageAction({ request, params, context }: ActionFunctionArgs) {
  const office = services(context);
  const staff = await requireStaff(office, request, { roles: ROLES });
  const form = await request.formData();
  assertCsrf(staff, form);
  const submission = parseWithZod(form, { schema: cardOperationSchema });
  const secret = ["pin", "newSignPin", "newSignPinConfirm"];
  if (submission.status !== "success")
    return data(
      { reply: submission.reply({ hideFields: secret }), result: null, nextKey: null },
      { status: 400, headers: NO_STORE },
    );
  const v = submission.value;
  const cards = cardServices(office);
  try {
    const result = await processCard(
      { db: office.db, terminal: cards.terminal, jlis: cards.jlis },
      {
        actor: { staffId: staff.staffId, lgCode: staff.lgCode, roles: [...staff.roles] },
        today: office.today(),
        requestKey: v.requestKey,
        residentId: params.residentId ?? "",
        operation: v.operation,
        cardId: v.cardId,
        ...(v.pin ? { pin: v.pin } : {}),
        ...(v.newSignPin ? { newSignPin: v.newSignPin } : {}),
      },
    );
    // Pending: the form keeps its request key, so 「再送する」 resends the same request.
    return data(
      {
        reply: submission.reply({ hideFields: secret }),
        result,
        nextKey: result.status === "pending" ? v.requestKey : randomUUID(),
      },
      { status: result.status === "pending" ? 503 : 200, headers: NO_STORE },
    );
  } catch (err) {
    if (err instanceof ForbiddenError) throw forbidden(err.message);
    if (err instanceof CardWorkNotFoundError) throw notFound(err.message);
    if (err instanceof RegisterValidationError)
      return data(
        {
          reply: submission.reply({ fieldErrors: fieldErrors(err), hideFields: secret }),
          result: null,
          nextKey: null,
        },
        { status: 400, headers: NO_STORE },
      );
    if (err instanceof RequestKeyReusedError)
      return data(
        {
          reply: submission.reply({ formErrors: [err.message], hideFields: secret }),
          result: null,
          nextKey: randomUUID(),
        },
        { status: 409, headers: NO_STORE },
      );
    if (err instanceof CardTerminalUnavailableError)
      return data(
        {
          reply: submission.reply({ formErrors: [err.message], hideFields: secret }),
          result: null,
          nextKey: null,
        },
        { status: 503, headers: NO_STORE },
      );
    throw err;
  }
}
