import { toWareki } from "../../register/wareki";

/** Display helpers shared by the back office's pages (pure; safe in the browser bundle). */

/** "2026-11-26" → "令和8年11月26日（2026-11-26）". */
export function dateJa(iso: string | null | undefined): string {
  if (!iso) return "—";
  try {
    return `${toWareki(iso)}（${iso}）`;
  } catch {
    return iso;
  }
}

export function dateTimeJa(at: Date | string | null | undefined): string {
  if (!at) return "—";
  const d = typeof at === "string" ? new Date(at) : at;
  return new Intl.DateTimeFormat("ja-JP", {
    timeZone: "Asia/Tokyo",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).format(d);
}

export function fullName(n: { family: string; given: string } | undefined): string {
  return n ? `${n.family} ${n.given}`.trim() : "";
}

export function fullKana(n: { familyKana: string; givenKana: string } | undefined): string {
  return n ? `${n.familyKana} ${n.givenKana}`.trim() : "";
}

export const RESERVATION_KIND_LABELS: Record<string, string> = {
  moveOut: "転入予約（特例転入）",
  relocation: "転居予約",
};

export const RESERVATION_STATUS_LABELS: Record<string, string> = {
  waiting: "来庁待ち",
  completed: "完了",
  cancelled: "取消",
  expired: "期限切れ",
};

export const SEX_LABELS: Record<string, string> = { male: "男", female: "女" };
