import { parseAsn1Time } from '../../../lib/x509/time';

const iso = (text: string, utc: boolean) => {
  const ms = parseAsn1Time(text, utc);
  return ms === undefined ? undefined : new Date(ms).toISOString();
};

describe('parseAsn1Time', () => {
  it.each([
    ['UTCTime', '250102030405Z', true, '2025-01-02T03:04:05.000Z'],
    ['UTCTime before 1950 is read as 19xx', '500101000000Z', true, '1950-01-01T00:00:00.000Z'],
    ['UTCTime without seconds', '1204270000Z', true, '2012-04-27T00:00:00.000Z'],
    ['UTCTime with a negative offset', '160810142728-0500', true, '2016-08-10T19:27:28.000Z'],
    ['UTCTime with a positive offset', '160810142728+0130', true, '2016-08-10T12:57:28.000Z'],
    ['GeneralizedTime', '20560811122001Z', false, '2056-08-11T12:20:01.000Z'],
    ['GeneralizedTime in year 1', '00010101000000Z', false, '0001-01-01T00:00:00.000Z'],
    ['GeneralizedTime without seconds', '205712010607Z', false, '2057-12-01T06:07:00.000Z'],
    [
      'GeneralizedTime with a fraction, cut to milliseconds',
      '20571201060708.99951Z',
      false,
      '2057-12-01T06:07:08.999Z',
    ],
    ['a leap day', '20240229000000Z', false, '2024-02-29T00:00:00.000Z'],
  ])('reads %s', (_, text, utc, expected) => {
    expect(iso(text, utc)).toBe(expected);
  });

  it.each([
    ['a day the month lacks', '20230229000000Z', false],
    ['a 60th second', '20230101000060Z', false],
    ['a missing zone', '20230101000000', false],
    ['a fraction in UTCTime', '230101000000.5Z', true],
    ['a fraction without digits', '20230101000000.Z', false],
    ['an offset of the wrong length', '230101000000+01', true],
    ['trailing characters', '230101000000Zjunk', true],
    ['letters for digits', '2301O1000000Z', true],
    ['too short a string', '2301010000', true],
  ])('refuses %s, as OpenSSL does', (_, text, utc) => {
    expect(iso(text, utc)).toBeUndefined();
  });
});
