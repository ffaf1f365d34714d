import type { CertificateRecord } from '../certificate';
import type { KeySharingCertificate } from './types';

/**
 * The cross-certificate view the key-reuse rule needs: certificates grouped by `publicKeySha256`. Build it once
 * over the inventory (or a batch), then pass `sameKeyAs(index, record)` as `context.sameKeyElsewhere`.
 * Keys held by one certificate only are not kept, so the index stays small.
 */
export function indexByPublicKey(
  certificates: Iterable<KeySharingCertificate & Pick<CertificateRecord, 'publicKeySha256'>>,
): Map<string, KeySharingCertificate[]> {
  const first = new Map<string, KeySharingCertificate>();
  const groups = new Map<string, KeySharingCertificate[]>();
  for (const certificate of certificates) {
    const key = certificate.publicKeySha256;
    const seen = first.get(key);
    if (seen === undefined) {
      first.set(key, certificate);
    } else if (seen.fingerprintSha256 !== certificate.fingerprintSha256) {
      const group = groups.get(key) ?? [seen];
      if (!group.some((other) => other.fingerprintSha256 === certificate.fingerprintSha256)) group.push(certificate);
      groups.set(key, group);
    }
  }
  return groups;
}

const NONE: readonly KeySharingCertificate[] = Object.freeze([]);

/** The certificates of the index sharing `record`'s key (itself included; the rule skips it). */
export const sameKeyAs = (
  index: ReadonlyMap<string, readonly KeySharingCertificate[]>,
  record: Pick<CertificateRecord, 'publicKeySha256'>,
): readonly KeySharingCertificate[] => index.get(record.publicKeySha256) ?? NONE;
