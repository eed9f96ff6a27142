/** The calendar date in Japan (YYYY-MM-DD) at `at`: the day every rule of the register counts in. */
export function japanDate(at: Date): string {
  return new Intl.DateTimeFormat("en-CA", {
    timeZone: "Asia/Tokyo",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).format(at);
}
