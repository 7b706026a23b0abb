/**
 * Date filters as the person reads them: a `YYYY-MM-DD` From/To is a calendar day on this computer's
 * clock (the ledger and the access report show times in local time), not a UTC day. `Date.parse`
 * reads a bare date as UTC midnight, so in Pacific/Auckland a view at 11:40 on the 7th (22:40 UTC on
 * the 6th) fell into "the 6th" (tester's finding 1). Day ends come from the calendar, never from
 * adding 24 hours, so a day with a daylight-saving change (23 or 25 hours) is covered whole.
 */

const BARE_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The local calendar day `YYYY-MM-DD` as [year, monthIndex, day], or null when it is not a real date. */
function dayOf(text: string): [number, number, number] | null {
  const match = BARE_DATE.exec(text);
  if (match === null) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]) - 1, Number(match[3])];
  // 2026-02-30 is no day: the calendar would roll it into March.
  const probe = new Date(Date.UTC(year, month, day));
  if (probe.getUTCFullYear() !== year || probe.getUTCMonth() !== month || probe.getUTCDate() !== day) return null;
  return [year, month, day];
}

/** The first instant of that local day (a midnight that does not exist, skipped by DST, is the day's first hour). */
function localMidnight(year: number, month: number, day: number): number {
  const at = new Date(year, month, day, 0, 0, 0, 0);
  // Years 0-99 would be read as 1900-1999 by the constructor.
  at.setFullYear(year, month, day);
  return at.getTime();
}

/**
 * `from` of a filter, Unix ms: a bare date is 00:00 local of that day; a full ISO instant is that
 * instant; anything else NaN.
 */
export function rangeStart(text: string): number {
  const day = dayOf(text);
  if (day !== null) return localMidnight(...day);
  return BARE_DATE.test(text) ? Number.NaN : Date.parse(text);
}

/**
 * `to` of a filter, Unix ms, inclusive: a bare date is the last millisecond of that local day (the
 * next day's local midnight minus one); a full ISO instant is that instant; anything else NaN.
 */
export function rangeEnd(text: string): number {
  const day = dayOf(text);
  if (day !== null) return localMidnight(day[0], day[1], day[2] + 1) - 1;
  return BARE_DATE.test(text) ? Number.NaN : Date.parse(text);
}

/** `+13:00`, `-08:00`, `+05:45`: the UTC offset of this computer's clock at `at`. */
export function utcOffset(at: Date): string {
  const minutes = -at.getTimezoneOffset();
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/**
 * Which clock times and date ranges are read in, for a printed report: the IANA zone
 * (`Pacific/Auckland`) and its offset at `at` (`UTC+13:00`); the offset alone when the zone has no name.
 */
export function localZoneLabel(at: Date = new Date()): string {
  let zone = '';
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone ?? '';
  } catch {
    zone = '';
  }
  const offset = `UTC${utcOffset(at)}`;
  return zone === '' ? offset : `${zone}, ${offset}`;
}
