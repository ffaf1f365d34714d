import { CertificateParseError } from '../domain/errors';
import { latin1, TAG, type Tlv } from './der';

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Reads a UTCTime or GeneralizedTime into an ISO 8601 UTC string, accepting exactly what OpenSSL 3.0's
 * ossl_asn1_time_to_tm accepts outside its RFC 5280 strict mode, since certificates in the wild (and in
 * lint corpora) break the profile: seconds may be missing, a `+hhmm`/`-hhmm` offset may replace `Z` and is
 * applied, GeneralizedTime may carry a fraction of a second. UTCTime years below 50 are 20xx.
 * The fraction is cut to milliseconds, the precision of `toISOString()`.
 * Throws CertificateParseError for anything else (OpenSSL prints "Bad time value" for those).
 */
export function readTime(buf: Uint8Array, tlv: Tlv, field: string): string {
  const utc = tlv.tag === TAG.UTC_TIME;
  if (!utc && tlv.tag !== TAG.GENERALIZED_TIME) throw badTime(field, 'not a UTCTime or GeneralizedTime');
  const text = latin1(buf, tlv.body, tlv.bodyEnd);
  const ms = parseAsn1Time(text, utc);
  if (ms === undefined) throw badTime(field, JSON.stringify(text));
  return isoString(ms);
}

function badTime(field: string, detail: string): CertificateParseError {
  return new CertificateParseError(`${field} is not a valid time: ${detail}`);
}

/** Milliseconds since the epoch, or undefined when OpenSSL would reject the string. */
export function parseAsn1Time(a: string, utc: boolean): number | undefined {
  const l = a.length;
  if (l < (utc ? 11 : 13)) return undefined;
  let o = 0;
  const digits2 = (): number => {
    if (o + 2 > l) return -1;
    const hi = a.charCodeAt(o) - 48;
    const lo = a.charCodeAt(o + 1) - 48;
    if (hi < 0 || hi > 9 || lo < 0 || lo > 9) return -1;
    o += 2;
    return hi * 10 + lo;
  };

  let year: number;
  if (utc) {
    const yy = digits2();
    if (yy < 0) return undefined;
    year = yy < 50 ? 2000 + yy : 1900 + yy;
  } else {
    const cc = digits2();
    const yy = cc < 0 ? -1 : digits2();
    if (yy < 0) return undefined;
    year = cc * 100 + yy;
  }
  const month = digits2();
  if (month < 1 || month > 12) return undefined;
  const day = digits2();
  const leap = year % 400 === 0 || (year % 100 !== 0 && year % 4 === 0);
  const monthDays = month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1];
  if (day < 1 || day > monthDays) return undefined;
  const hour = digits2();
  if (hour < 0 || hour > 23) return undefined;
  const minute = digits2();
  if (minute < 0 || minute > 59 || o >= l) return undefined;
  let second = 0;
  if (!isZoneStart(a.charCodeAt(o))) {
    second = digits2();
    if (second < 0 || second > 59 || o >= l) return undefined;
  }
  let millis = 0;
  if (!utc && a.charCodeAt(o) === 0x2e) {
    const from = ++o;
    while (o < l && isDigit(a.charCodeAt(o))) o++;
    if (o === from || o === l) return undefined;
    millis = Number((a.slice(from, o) + '00').slice(0, 3));
  }
  let offsetMinutes = 0;
  const zone = a.charCodeAt(o++);
  if (zone === 0x2b || zone === 0x2d) {
    if (o + 4 !== l) return undefined;
    const oh = digits2();
    const om = digits2();
    if (oh < 0 || oh > 12 || om < 0 || om > 59) return undefined;
    // `-0500` means local time is five hours behind UTC, so UTC is later.
    offsetMinutes = (zone === 0x2d ? 1 : -1) * (oh * 60 + om);
  } else if (zone !== 0x5a || o !== l) {
    return undefined;
  }
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute + offsetMinutes, second, millis);
  return date.getTime();
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isZoneStart(c: number): boolean {
  return c === 0x5a || c === 0x2b || c === 0x2d;
}

/** toISOString(), which for years before 1000 or after 9999 would still be right; kept as one place. */
function isoString(ms: number): string {
  return new Date(ms).toISOString();
}
