// Calendar days as whole numbers (days since 1970-01-01, UTC) and back: what the epidemic's files,
// windows and forecasts count in. Only the ISO form YYYY-MM-DD is a date here.

const ISO = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

/** The day number of an ISO date YYYY-MM-DD, or null when the text is not a real calendar date. */
export function dayOf(text: string): number | null {
  const m = ISO.exec(text);
  if (!m) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(year, month - 1, day);
  const back = new Date(ms);
  // Date.UTC rolls 2021-02-30 over to March: a date that does not come back is not a date
  if (back.getUTCFullYear() !== year || back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day) return null;
  return ms / DAY_MS;
}

/** The ISO date YYYY-MM-DD of a day number. */
export function dateOf(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** Days from `from` to `to` inclusive (ISO dates already checked). */
export function daysBetween(from: string, to: string): number {
  return dayOf(to)! - dayOf(from)! + 1;
}
