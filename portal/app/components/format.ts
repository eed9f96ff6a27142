import type { Lang } from "../i18n";

/** 2026-12-10 → 2026年12月10日（木） / Thu 10 Dec 2026, read the same in every time zone. */
export function formatDate(lang: Lang, iso: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(iso)) return iso;
  const date = new Date(`${iso}T00:00:00Z`);
  return new Intl.DateTimeFormat(lang === "ja" ? "ja-JP" : "en-GB", {
    timeZone: "UTC",
    year: "numeric",
    month: lang === "ja" ? "long" : "short",
    day: "numeric",
    weekday: "short",
  }).format(date);
}

export function formatDateTime(lang: Lang, at: string | Date): string {
  return new Intl.DateTimeFormat(lang === "ja" ? "ja-JP" : "en-GB", {
    timeZone: "Asia/Tokyo",
    dateStyle: "medium",
    timeStyle: "short",
  }).format(new Date(at));
}
