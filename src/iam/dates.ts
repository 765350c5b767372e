// W3C profile of ISO 8601 (YYYY, YYYY-MM, YYYY-MM-DD, with optional time and zone) as IAM documents.
const ISO_DATE =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[Tt](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?)?)?)?$/;
const EPOCH = /^\d+(?:\.\d+)?$/;

function zoneOffsetMinutes(zone: string | undefined): number {
  if (zone === undefined || zone.toUpperCase() === "Z") return 0;
  const sign = zone.startsWith("-") ? -1 : 1;
  const digits = zone.slice(1).replace(":", "");
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4)));
}

// Date condition values are ISO 8601 or epoch seconds; both become epoch milliseconds to compare.
export function parseIamDate(text: string): number | undefined {
  if (EPOCH.test(text)) return Math.round(Number(text) * 1000);
  const m = ISO_DATE.exec(text);
  if (m === null) return undefined;
  const [, year, month = "01", day = "01", hour = "00", minute = "00", second = "00", fraction, zone] = m;
  const mo = Number(month);
  const d = Number(day);
  const h = Number(hour);
  const mi = Number(minute);
  const s = Number(second);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return undefined;
  const utc = Date.UTC(Number(year), mo - 1, d, h, mi, s);
  if (new Date(utc).getUTCDate() !== d) return undefined;
  const millis = fraction === undefined ? 0 : Math.floor(Number(`0${fraction}`) * 1000);
  return utc + millis - zoneOffsetMinutes(zone) * 60_000;
}
