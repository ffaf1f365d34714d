import {
  serialBits,
  serialNumberEntropy,
  serialNumberEntropyRule,
} from '../../../../../lib/domain/policy/rules/serial-number-entropy';
import { craftRecord } from '../../../../support/crafted-certificates';
import { context, subject } from '../fixtures';

const params = serialNumberEntropyRule.defaults;
const judge = async (serialNumber: string, overrides = {}, rule = params) =>
  serialNumberEntropy(subject(await craftRecord({ serialNumber })), rule, context(overrides));

describe('serial-number-entropy', () => {
  describe('Compliant', () => {
    it.each([
      ['128 bits', '7f'.padEnd(32, 'a')],
      ['exactly 64 significant bits', '8000000000000001'],
      ['64 bits behind the leading zero octet that keeps them positive', '00ffffffffffffffff'],
    ])('a public certificate with a serial of %s', async (_name, serial) => {
      expect(await judge(serial)).toEqual({ outcome: 'compliant' });
    });

    it('a 57-bit serial when the policy asks for eight octets (a CA drawing exactly 64 bits)', async () => {
      expect(await judge('0100000000000000', {}, { ...params, minBits: 57 })).toEqual({ outcome: 'compliant' });
    });
  });

  describe('Noncompliant', () => {
    it.each([
      ['63 bits (64 drawn, the top one cleared)', '7fffffffffffffff', 63],
      ['a small counter', '1001', 13],
    ])('a public certificate with a serial of %s', async (_name, serial, bits) => {
      expect(await judge(serial)).toMatchObject({ outcome: 'violation', details: { bits, minBits: 64 } });
    });

    it('a private certificate when the policy includes private ones', async () => {
      expect(await judge('01', { issuerType: 'private' }, { ...params, includePrivate: true })).toMatchObject({
        outcome: 'violation',
      });
    });
  });

  it('is not applicable to privately issued certificates by default', async () => {
    expect((await judge('01', { issuerType: 'private' })).outcome).toBe('not-applicable');
  });

  it.each([
    ['0', 0],
    ['1', 1],
    ['ff', 8],
    ['-80', 8],
    ['0100', 9],
  ])('counts the significant bits of %s as %i', (serial, bits) => {
    expect(serialBits(serial)).toBe(bits);
  });
});
