/**
 * DICOM dates and times (PS3.5 6.2: DA, TM, DT) as the app shows them elsewhere: a date as
 * YYYY-MM-DD (the study list's and the patient record's), a time as HH:MM[:SS], a date-time as
 * both with its offset as "(UTC+01:00)", as the records' times read. A value that is not a valid
 * date or time is shown as received, never guessed at.
 */

function validDay(year: string, month: string, day: string): boolean {
  const date = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  return date.getUTCFullYear() === Number(year) && date.getUTCMonth() === Number(month) - 1 && date.getUTCDate() === Number(day);
}

function clock(hours: string, minutes: string | undefined, seconds: string | undefined): string | null {
  if (Number(hours) > 23 || (minutes !== undefined && Number(minutes) > 59) || (seconds !== undefined && Number(seconds) > 60)) return null;
  return seconds === undefined ? `${hours}:${minutes ?? '00'}` : `${hours}:${minutes}:${seconds}`;
}

/** DA `YYYYMMDD` (or the older `YYYY.MM.DD`) → `YYYY-MM-DD`. */
export function dicomDate(value: string): string {
  const trimmed = value.trim();
  const match = /^(\d{4})\.?(\d{2})\.?(\d{2})$/.exec(trimmed);
  return match !== null && validDay(match[1]!, match[2]!, match[3]!) ? `${match[1]}-${match[2]}-${match[3]}` : trimmed;
}

/** TM `HH[MM[SS[.F]]]` (or the older `HH:MM:SS`) → `HH:MM[:SS]`, the fraction left out. */
export function dicomTime(value: string): string {
  const trimmed = value.trim();
  const match = /^(\d{2})(?::?(\d{2})(?::?(\d{2})(?:\.\d{1,6})?)?)?$/.exec(trimmed);
  return (match !== null && clock(match[1]!, match[2], match[3])) || trimmed;
}

/** DT `YYYY[MM[DD[HH[MM[SS[.F]]]]]][&ZZXX]` → `YYYY-MM-DD HH:MM[:SS] (UTC±hh:mm)`, as much as it holds. */
export function dicomDateTime(value: string): string {
  const trimmed = value.trim();
  const match = /^(\d{4})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:\.\d{1,6})?)?)?)?)?)?([+-]\d{4})?$/.exec(trimmed);
  if (match === null) return trimmed;
  const [, year, month, day, hours, minutes, seconds, zone] = match;
  if (month !== undefined && (Number(month) < 1 || Number(month) > 12)) return trimmed;
  if (day !== undefined && !validDay(year!, month!, day)) return trimmed;
  const date = [year, month, day].filter((part) => part !== undefined).join('-');
  const time = hours === undefined ? '' : clock(hours, minutes, seconds);
  if (time === null) return trimmed;
  const offset = zone === undefined ? '' : ` (UTC${zone.slice(0, 3)}:${zone.slice(3)})`;
  return `${date}${time === '' ? '' : ` ${time}`}${offset}`;
}
