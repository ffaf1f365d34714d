import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { rootCertificates } from 'node:tls';
import type { CertificateRecord } from '../domain/certificate';

/** What can be wrong with a served chain, each judged on its own so that a report names every defect. */
export type ChainIssueCode =
  | 'self-signed'
  | 'untrusted-root'
  | 'missing-intermediate'
  | 'wrong-order'
  | 'hostname-mismatch'
  | 'expired'
  | 'not-yet-valid';

export interface ChainIssue {
  code: ChainIssueCode;
  /** For people: names the certificate and what is wrong. */
  message: string;
  /** The certificate concerned (SHA-256 of its DER), when it is one of the chain's. */
  fingerprint?: string;
}

export interface ChainVerdict {
  /** The chain builds, by issuer and signature, from the leaf to a trust anchor. */
  trusted: boolean;
  issues: ChainIssue[];
}

/** A served certificate, parsed twice: by node:crypto for issuing and signatures, by lib/x509 for the record. */
export interface ServedCertificate {
  x509: X509Certificate;
  record: CertificateRecord;
}

/** The certificates a chain may end at, indexed by subject (the issuer a child names). */
export class TrustAnchors {
  private readonly bySubject = new Map<string, X509Certificate[]>();

  constructor(certificates: Iterable<X509Certificate>) {
    for (const certificate of certificates) {
      const same = this.bySubject.get(certificate.subject) ?? [];
      same.push(certificate);
      this.bySubject.set(certificate.subject, same);
    }
  }

  /** Node's public root store (tls.rootCertificates) and/or the PEM of private CAs. */
  static of({ publicRoots, pem }: { publicRoots: boolean; pem?: string }): TrustAnchors {
    const blocks = [
      ...(publicRoots ? rootCertificates : []),
      ...(pem?.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? []),
    ];
    return new TrustAnchors(blocks.map((block) => new X509Certificate(block)));
  }

  /** The anchor that issued and signed `child`, if any. */
  issuerOf(child: X509Certificate): X509Certificate | undefined {
    return this.bySubject.get(child.issuer)?.find((anchor) => issued(anchor, child));
  }
}

/** `issuer` names and signed `child` (OpenSSL's name and key-identifier check, then the signature itself). */
const issued = (issuer: X509Certificate, child: X509Certificate): boolean => {
  if (!child.checkIssued(issuer)) return false;
  try {
    return child.verify(issuer.publicKey);
  } catch {
    return false; // a key node:crypto cannot use for verifying: not proven, so not issued
  }
};

/**
 * Signed with its own key under its own name: a root, or a self-signed leaf (which checkIssued refuses, lacking
 * keyCertSign).
 */
const selfSigned = (certificate: X509Certificate): boolean => {
  if (certificate.subject !== certificate.issuer) return false;
  try {
    return certificate.verify(certificate.publicKey);
  } catch {
    return false;
  }
};

const nameOf = ({ record }: ServedCertificate) => record.subjectCommonName ?? record.subject;

/**
 * Judges a chain as an endpoint served it (leaf first): builds the path from the leaf by issuer name and signature,
 * through the served certificates and then the trust anchors, and says where it breaks; checks the leaf against the
 * name the client asked for (`serverName`, else the IP address connected to) and every certificate's validity at
 * `now`. Everything is judged, so that one defect does not hide another.
 */
export function judgeChain(
  served: readonly ServedCertificate[],
  {
    anchors,
    serverName,
    address,
    now,
  }: { anchors: TrustAnchors; serverName: string | null; address: string; now: Date },
): ChainVerdict {
  const issues: ChainIssue[] = [];
  const [leaf] = served;
  const path = [0];
  let trusted = false;
  for (;;) {
    const current = served[path[path.length - 1]];
    if (anchors.issuerOf(current.x509)) {
      trusted = true;
      break;
    }
    if (selfSigned(current.x509)) {
      issues.push(
        path.length === 1
          ? {
              code: 'self-signed',
              message: `${nameOf(current)} is self-signed and not trusted`,
              fingerprint: current.record.fingerprintSha256,
            }
          : {
              code: 'untrusted-root',
              message: `the chain ends at ${nameOf(current)}, a root that is not trusted`,
              fingerprint: current.record.fingerprintSha256,
            },
      );
      break;
    }
    const next = served.findIndex((candidate, index) => !path.includes(index) && issued(candidate.x509, current.x509));
    if (next < 0) {
      issues.push({
        code: 'missing-intermediate',
        message: `${nameOf(current)} is issued by ${current.record.issuer}, which the server does not send and no trusted root is`,
        fingerprint: current.record.fingerprintSha256,
      });
      break;
    }
    if (next !== path[path.length - 1] + 1) {
      issues.push({
        code: 'wrong-order',
        message: `${nameOf(served[next])} (certificate ${next + 1} served) issued ${nameOf(current)} but does not follow it`,
        fingerprint: served[next].record.fingerprintSha256,
      });
    }
    path.push(next);
  }
  const nameMatches =
    serverName !== null
      ? leaf.x509.checkHost(serverName) !== undefined
      : isIP(address) !== 0 && leaf.x509.checkIP(address) !== undefined;
  if (!nameMatches) {
    const names = [...leaf.record.sans.dns, ...leaf.record.sans.ip];
    issues.push({
      code: 'hostname-mismatch',
      message: `serves a certificate for ${names.length > 0 ? names.join(', ') : nameOf(leaf)}, not ${serverName ?? address}`,
      fingerprint: leaf.record.fingerprintSha256,
    });
  }
  for (const certificate of served) {
    const { notBefore, notAfter, fingerprintSha256: fingerprint } = certificate.record;
    if (Date.parse(notAfter) < now.getTime())
      issues.push({ code: 'expired', message: `${nameOf(certificate)} expired ${notAfter}`, fingerprint });
    else if (Date.parse(notBefore) > now.getTime())
      issues.push({
        code: 'not-yet-valid',
        message: `${nameOf(certificate)} is not valid before ${notBefore}`,
        fingerprint,
      });
  }
  return { trusted, issues };
}
