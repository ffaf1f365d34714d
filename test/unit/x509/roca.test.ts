import { webcrypto } from 'node:crypto';
import { hasRocaFingerprint } from '../../../lib/x509/roca';
import { ROCA_M, rocaShapedModulus } from '../../support/crafted-certificates';

const bytes = (n: bigint): Uint8Array => {
  const hex = n.toString(16);
  return Buffer.from(hex.padStart(hex.length + (hex.length % 2), '0'), 'hex');
};

describe('hasRocaFingerprint', () => {
  it.each([512, 1024, 2048, 3072, 4096])('finds it in a %i-bit modulus of the form k·M + (65537^a mod M)', (bits) => {
    expect(hasRocaFingerprint(bytes(rocaShapedModulus(bits, 1234567n + BigInt(bits), 987654321n)))).toBe(true);
  });

  it('finds it with the leading zero octet of an INTEGER encoding', () => {
    expect(hasRocaFingerprint(Uint8Array.of(0, ...bytes(rocaShapedModulus(2048, 99n, 5n))))).toBe(true);
  });

  it('misses it when the modulus differs from a ROCA one modulo a single prime (167)', () => {
    const roca = rocaShapedModulus(2048, 4242n, 17n);
    // M/167 is 0 modulo every other prime: adding it moves the residue modulo 167 only, to 65537^a + t·M/167.
    const others = ROCA_M / 167n;
    const outside = [1n, 2n, 3n, 4n, 5n].map((t) => roca + t * others).filter((n) => !hasRocaFingerprint(bytes(n)));
    expect(outside.length).toBeGreaterThan(0);
  });

  it('misses it in RSA keys generated here', async () => {
    for (let i = 0; i < 3; i++) {
      const { publicKey } = await webcrypto.subtle.generateKey(
        { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: Uint8Array.of(1, 0, 1), hash: 'SHA-256' },
        true,
        ['sign', 'verify'],
      );
      const jwk = await webcrypto.subtle.exportKey('jwk', publicKey);
      expect(hasRocaFingerprint(Buffer.from(jwk.n!, 'base64url'))).toBe(false);
    }
  });

  it('says nothing about numbers too short to be RSA moduli', () => {
    expect(hasRocaFingerprint(Uint8Array.of(1))).toBe(false);
    expect(hasRocaFingerprint(new Uint8Array(0))).toBe(false);
  });
});
