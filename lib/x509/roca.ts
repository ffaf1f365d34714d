/**
 * The ROCA fingerprint (CVE-2017-15361, Nemec et al., "The Return of Coppersmith's Attack", CCS 2017): Infineon's
 * RSALib made each prime as k·M + (65537^a mod M), M the product of the first primes, so the modulus is, modulo
 * every small prime p dividing M, a power of 65537. Checking that for the 38 odd primes up to 167 is the published
 * fingerprint test (crocs-muni/roca, `has_fingerprint_moduli`): every affected key passes, a random modulus with a
 * probability of about 4 in a billion (the product of |⟨65537⟩ mod p| / (p − 1)).
 */

/** The odd primes of the published test (2 tells nothing: every odd modulus is 1 mod 2, a power of anything). */
const PRIMES = [
  3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 101, 103, 107, 109, 113,
  127, 131, 137, 139, 149, 151, 157, 163, 167,
];

const GENERATOR = 65537;

/** For each prime p, `member[r]` is 1 when r ≡ 65537^k (mod p) for some k: the subgroup 65537 generates. */
const SUBGROUPS: readonly Uint8Array[] = PRIMES.map((p) => {
  const member = new Uint8Array(p);
  const g = GENERATOR % p;
  let x = 1;
  do {
    member[x] = 1;
    x = (x * g) % p;
  } while (x !== 1);
  return member;
});

/**
 * Whether an RSA modulus (big-endian magnitude, as in the RSAPublicKey INTEGER) has the ROCA fingerprint. The
 * residues are taken octet by octet (r·256 + octet stays far inside a double), so no big-number arithmetic is needed.
 */
export function hasRocaFingerprint(modulus: Uint8Array): boolean {
  let significant = 0;
  while (significant < modulus.length && modulus[significant] === 0) significant++;
  // Moduli of a few octets are no RSA keys and would pass by chance.
  if (modulus.length - significant < 16) return false;
  for (let i = 0; i < PRIMES.length; i++) {
    const p = PRIMES[i];
    let residue = 0;
    for (let j = significant; j < modulus.length; j++) residue = (residue * 256 + modulus[j]) % p;
    if (SUBGROUPS[i][residue] !== 1) return false;
  }
  return true;
}
