import type { ChangeFormKind } from "./kinds.js";

/**
 * The one place where the register's field paths (RegisterValidationError.fields, e.g.
 * "persons.0.birthDate", "change.relationships.<residentId>") become the names of the counter
 * form's fields (Conform names, e.g. "persons[0].birthDate", "relationships[2].relationship").
 *
 * Most paths are the same item under the same name: numeric segments become list indexes. The
 * exceptions are the residents a form picks by 住民票コード while the register speaks of record
 * ids: `refs` says which form field named each record (filled when the codes are resolved).
 * Whatever has no field on the form (the request key, the municipality, the household as a whole)
 * becomes a form-level error (key ""), shown above the form — never dropped.
 */

export interface FormRefs {
  /** Record id → the form field holding that resident's 住民票コード (e.g. "relationships[1].residentCode"). */
  residents: Record<string, string>;
}

export const FORM_LEVEL = "";

/** "persons.0.name.family" → "persons[0].name.family". */
export function toConformName(path: string): string {
  return path
    .split(".")
    .map((seg, i) => (/^\d+$/.test(seg) ? `[${seg}]` : i === 0 ? seg : `.${seg}`))
    .join("");
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The relationship field next to a resident's code field ("rows[1].residentCode" → "rows[1].relationship"). */
function relationshipField(codeField: string | undefined, fallback: string): string {
  if (codeField?.endsWith(".residentCode"))
    return `${codeField.slice(0, -".residentCode".length)}.relationship`;
  return codeField ?? fallback;
}

/** Paths no form has a field for: shown as form-level errors. */
const FORM_LEVEL_PATHS = new Set([
  "input",
  "requestKey",
  "lgCode",
  "approvalId",
  "expectedVersions",
  "household",
  "actor",
]);

function mapPath(kind: ChangeFormKind, path: string, refs: FormRefs): string {
  if (FORM_LEVEL_PATHS.has(path)) return FORM_LEVEL;
  const seg = path.split(".");
  const byId = (id: string | undefined, fallback: string) =>
    (id !== undefined && refs.residents[id]) || fallback;

  switch (kind) {
    case "death":
    case "exOfficioRemoval":
      if (path === "residentId") return "residentCode";
      if (seg[0] === "residentIds") return seg[1] ? `residentCodes[${seg[1]}]` : "residentCodes";
      if (seg[0] === "newHead") {
        // newHead.relationships.<id>: the form does not ask for them (kept as they are).
        return "newHeadCode";
      }
      break;
    case "emigration":
      if (seg[0] === "residentIds") return seg[1] ? `residentCodes[${seg[1]}]` : "residentCodes";
      break;
    case "exOfficioCorrection":
      if (path === "residentId") return "residentCode";
      if (path === "corrections") return FORM_LEVEL;
      break;
    case "changeCancellation":
      if (path === "changeId") return "residentCode";
      break;
    case "birth":
      // The register enters the child as the first of a list of newcomers ("child.0.myNumber").
      if (seg[0] === "child" && seg[1] === "0") return toConformName(["child", ...seg.slice(2)].join("."));
      break;
    case "householdChange": {
      if (seg[0] !== "change") break;
      const rest = seg.slice(1);
      const head = rest[0];
      if (rest.length === 0) return FORM_LEVEL;
      if (head === "householdId" || head === "fromHouseholdId") return "householdCode";
      if (head === "intoHouseholdId") return "intoCode";
      if (head === "newHeadId") return "newHeadCode";
      if (head === "memberIds") {
        // memberIds = [newHead, ...relationships' residents] (submit.server.ts builds it so).
        const i = rest[1] === undefined ? undefined : Number(rest[1]);
        if (i === undefined) return "relationships";
        return i === 0 ? "newHeadCode" : `relationships[${i - 1}].residentCode`;
      }
      if (head === "relationships") {
        const id = rest[1];
        if (id && UUID.test(id)) return relationshipField(refs.residents[id], "relationships");
        return "relationships";
      }
      if (head === "remaining") {
        if (rest[1] === "newHeadId" || rest.length === 1) return "remainingHeadCode";
        if (rest[1] === "relationships") {
          const id = rest[2];
          if (id && UUID.test(id)) return relationshipField(refs.residents[id], "remainingRelationships");
          return "remainingRelationships";
        }
      }
      return FORM_LEVEL;
    }
    default:
      break;
  }
  // Joining a household picked by one of its members' 住民票コード.
  if (path === "household.householdId") return "household.memberCode";
  // A newcomer's items keep their names; an id-keyed path falls back to the resident's code field.
  if (seg.some((s) => UUID.test(s))) {
    const id = seg.find((s) => UUID.test(s));
    return byId(id, FORM_LEVEL);
  }
  return toConformName(path);
}

/**
 * The register's field errors as Conform's `fieldErrors` (name → messages), for
 * `submission.reply({ fieldErrors })`. Messages pass through unchanged: the register's are
 * Japanese and never contain a value.
 */
export function registerErrorsToForm(
  kind: ChangeFormKind,
  fields: Record<string, string>,
  refs: FormRefs = { residents: {} },
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [path, message] of Object.entries(fields)) {
    const name = mapPath(kind, path, refs);
    const list = out[name] ?? [];
    if (!list.includes(message)) list.push(message);
    out[name] = list;
  }
  return out;
}
