/**
 * Post-quantum public-key and signature algorithms as certificates carry them, under the names their standards
 * give: FIPS 204 ML-DSA and FIPS 205 SLH-DSA (and their pre-hash variants), FIPS 203 ML-KEM, with the OIDs NIST
 * registers in the CSOR (RFC 9881, RFC 9909 and the ML-KEM certificate profile use them), and the IETF LAMPS
 * composite ML-DSA of draft-ietf-lamps-pq-composite-sigs (ML-DSA with RSA, ECDSA or EdDSA in one key, the draft's
 * IANA-assigned id-alg arc 1.3.6.1.5.5.7.6.37–54, named as the draft does without `id-`). The parser names keys and
 * signatures from this table and the policy reads it to tell a quantum-safe key from one it does not know.
 */

export type PostQuantumFamily = 'ML-DSA' | 'HashML-DSA' | 'SLH-DSA' | 'HashSLH-DSA' | 'ML-KEM' | 'composite ML-DSA';

export interface PostQuantumAlgorithm {
  oid: string;
  /** `ML-DSA-65`, `SLH-DSA-SHAKE-256f`, `ML-KEM-768`, `MLDSA65-ECDSA-P256-SHA512`, … */
  name: string;
  family: PostQuantumFamily;
}

const SIG_ALGS = '2.16.840.1.101.3.4.3';
const KEMS = '2.16.840.1.101.3.4.4';
const COMPOSITE = '1.3.6.1.5.5.7.6';

const ML_DSA_LEVELS = ['44', '65', '87'];
/** SLH-DSA parameter sets in CSOR order: SHA2 then SHAKE, 128/192/256, small (s) then fast (f). */
const SLH_DSA_SETS = ['SHA2', 'SHAKE'].flatMap((hash) =>
  ['128', '192', '256'].flatMap((level) => ['s', 'f'].map((variant) => ({ hash, level, variant }))),
);
/** HashSLH-DSA's pre-hash: SHA-256 or SHAKE128 at category 1, SHA-512 or SHAKE256 above. */
const slhPreHash = (hash: string, level: string) =>
  hash === 'SHA2' ? (level === '128' ? 'SHA256' : 'SHA512') : level === '128' ? 'SHAKE128' : 'SHAKE256';

const COMPOSITE_ML_DSA = [
  'MLDSA44-RSA2048-PSS-SHA256',
  'MLDSA44-RSA2048-PKCS15-SHA256',
  'MLDSA44-Ed25519-SHA512',
  'MLDSA44-ECDSA-P256-SHA256',
  'MLDSA65-RSA3072-PSS-SHA512',
  'MLDSA65-RSA3072-PKCS15-SHA512',
  'MLDSA65-RSA4096-PSS-SHA512',
  'MLDSA65-RSA4096-PKCS15-SHA512',
  'MLDSA65-ECDSA-P256-SHA512',
  'MLDSA65-ECDSA-P384-SHA512',
  'MLDSA65-ECDSA-brainpoolP256r1-SHA512',
  'MLDSA65-Ed25519-SHA512',
  'MLDSA87-ECDSA-P384-SHA512',
  'MLDSA87-ECDSA-brainpoolP384r1-SHA512',
  'MLDSA87-Ed448-SHAKE256',
  'MLDSA87-RSA3072-PSS-SHA512',
  'MLDSA87-RSA4096-PSS-SHA512',
  'MLDSA87-ECDSA-P521-SHA512',
];

/** Every algorithm of the table, in OID order within each family. */
export const POST_QUANTUM_ALGORITHMS: readonly PostQuantumAlgorithm[] = Object.freeze([
  ...ML_DSA_LEVELS.map((level, i) => ({
    oid: `${SIG_ALGS}.${17 + i}`,
    name: `ML-DSA-${level}`,
    family: 'ML-DSA' as const,
  })),
  ...SLH_DSA_SETS.map(({ hash, level, variant }, i) => ({
    oid: `${SIG_ALGS}.${20 + i}`,
    name: `SLH-DSA-${hash}-${level}${variant}`,
    family: 'SLH-DSA' as const,
  })),
  ...ML_DSA_LEVELS.map((level, i) => ({
    oid: `${SIG_ALGS}.${32 + i}`,
    name: `HashML-DSA-${level}-with-SHA512`,
    family: 'HashML-DSA' as const,
  })),
  ...SLH_DSA_SETS.map(({ hash, level, variant }, i) => ({
    oid: `${SIG_ALGS}.${35 + i}`,
    name: `HashSLH-DSA-${hash}-${level}${variant}-with-${slhPreHash(hash, level)}`,
    family: 'HashSLH-DSA' as const,
  })),
  ...['512', '768', '1024'].map((level, i) => ({
    oid: `${KEMS}.${1 + i}`,
    name: `ML-KEM-${level}`,
    family: 'ML-KEM' as const,
  })),
  ...COMPOSITE_ML_DSA.map((name, i) => ({
    oid: `${COMPOSITE}.${37 + i}`,
    name,
    family: 'composite ML-DSA' as const,
  })),
]);

const BY_OID = new Map(POST_QUANTUM_ALGORITHMS.map((algorithm) => [algorithm.oid, algorithm]));
const BY_NAME = new Map(POST_QUANTUM_ALGORITHMS.map((algorithm) => [algorithm.name, algorithm]));

/** The post-quantum algorithm of an OID (a key's or a signature's), or undefined. */
export const postQuantumByOid = (oid: string): PostQuantumAlgorithm | undefined => BY_OID.get(oid);

/** The post-quantum algorithm a key algorithm name (CertificateRecord.keyAlgorithm) names, or undefined. */
export const postQuantumByName = (name: string): PostQuantumAlgorithm | undefined => BY_NAME.get(name);
