import { constants, createPublicKey, verify, type KeyObject, type VerifyKeyObjectInput } from 'node:crypto';
import { OID, type PssParams } from './algorithms';

/** Our digest names → node:crypto's. */
const NODE_DIGEST: Record<string, string> = {
  MD5: 'md5',
  'SHA-1': 'sha1',
  'SHA-224': 'sha224',
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
  'SHA-512/224': 'sha512-224',
  'SHA-512/256': 'sha512-256',
  'SHA3-224': 'sha3-224',
  'SHA3-256': 'sha3-256',
  'SHA3-384': 'sha3-384',
  'SHA3-512': 'sha3-512',
};

export interface SignedData {
  tbs: Uint8Array;
  signatureOid: string;
  hash: string | null;
  pss: PssParams | undefined;
  /** The signature BIT STRING's content, unused-bits octet included. */
  signature: Uint8Array;
  spki: Uint8Array;
}

/**
 * Whether the signature over the TBS bytes verifies with the given SubjectPublicKeyInfo; undefined when
 * that cannot be decided here: an algorithm node:crypto lacks (MD2, GOST, …), a key it cannot load, PSS
 * with a mask hash other than the signature hash (node ties the two).
 */
export function verifySignature(data: SignedData): boolean | undefined {
  const { signature } = data;
  // A signature is whole octets; one with dangling bits is malformed, and OpenSSL rejects it too.
  if (signature.length === 0 || signature[0] !== 0) return false;
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(data.spki), format: 'der', type: 'spki' });
  } catch {
    return undefined;
  }
  const keyType = key.asymmetricKeyType;
  let digest: string | null;
  let input: KeyObject | VerifyKeyObjectInput = key;
  if (data.signatureOid === OID.ed25519 || data.signatureOid === OID.ed448) {
    if (keyType !== (data.signatureOid === OID.ed25519 ? 'ed25519' : 'ed448')) return false;
    digest = null;
  } else {
    if (data.hash === null || NODE_DIGEST[data.hash] === undefined) return undefined;
    digest = NODE_DIGEST[data.hash];
    if (data.signatureOid === OID.rsassaPss) {
      if (keyType !== 'rsa' && keyType !== 'rsa-pss') return false;
      if (data.pss === undefined || data.pss.mgfHash !== data.hash) return undefined;
      input = { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: data.pss.saltLength };
    }
  }
  try {
    return verify(digest, data.tbs, input, signature.subarray(1));
  } catch {
    // A key of the wrong type for the algorithm (an RSA signature checked with an EC key) cannot have made it.
    return false;
  }
}
