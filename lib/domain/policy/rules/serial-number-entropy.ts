import * as z from 'zod/mini';
import { defineRule } from '../rule-definition';
import { compliant, notApplicable, violation, type Rule } from '../types';

const Params = z.strictObject({
  /** Fewest significant bits in the serial number's magnitude. @default 64 */
  minBits: z.int().check(z.minimum(1), z.maximum(160)),
  /** Judge privately issued certificates too (the Baseline Requirements bind public CAs only). @default false */
  includePrivate: z.boolean(),
});
export type SerialNumberEntropyParams = z.infer<typeof Params>;

/**
 * Serial numbers hold at least 64 bits from a CSPRNG (BR §7.1), which makes a chosen-prefix collision on the
 * signed bytes unpredictable. Entropy cannot be seen in one certificate; what can is the size of the number. The
 * test: the magnitude has at least `minBits` significant bits (leading zero bits not counted, the sign ignored).
 * Public CAs draw 128 bits or more since 2019 (when CAs were found drawing 64 bits and clearing the top one, which
 * leaves 63), so a compliant serial is short by chance once in 2^64; a CA drawing exactly 64 bits has a leading
 * zero bit half the time, so for it set `minBits` to 57 (eight octets, the test of zlint's former
 * w_serial_number_low_entropy, short by chance once in 256).
 */
export const serialNumberEntropy: Rule<SerialNumberEntropyParams> = (
  { certificate },
  { minBits, includePrivate },
  { issuerType },
) => {
  if (issuerType !== 'public' && !includePrivate) return notApplicable('privately issued');
  const bits = serialBits(certificate.serialNumber);
  return bits >= minBits
    ? compliant
    : violation(
        `serial number ${certificate.serialNumber} has ${bits} significant bits; policy requires at least ${minBits} ` +
          '(64 bits from a CSPRNG, BR §7.1)',
        { serialNumber: certificate.serialNumber, bits, minBits },
      );
};

/** Significant bits of a serial as records write it (serialNumberHex: hex of the magnitude, `-` for negatives); leading zeros do not count. */
export function serialBits(serialNumber: string): number {
  const digits = serialNumber.replace(/^-/, '').replace(/^0+/, '');
  if (digits === '') return 0;
  return (digits.length - 1) * 4 + (32 - Math.clz32(parseInt(digits[0], 16)));
}

export const serialNumberEntropyRule = defineRule({
  id: 'serial-number-entropy',
  title: 'Public certificates have serial numbers of at least 64 bits',
  defaultSeverity: 'medium',
  enabledByDefault: true,
  informational: false,
  params: Params,
  defaults: { minBits: 64, includePrivate: false },
  evaluate: serialNumberEntropy,
});
