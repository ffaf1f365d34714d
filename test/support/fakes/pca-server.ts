import 'reflect-metadata';
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as x509 from '@peculiar/x509';
import { issueCertificate, type IssuedCertificate } from '../../../lib/x509/factory';
import { parseCertificates } from '../../../lib/x509/parse';
import { AwsFault, epochSeconds, pageOf, type AwsCallContext, type AwsJsonService } from './aws-json-server';

/**
 * ACM Private CA (ACMPrivateCA, awsJson1_1) on the fake AWS endpoint: ListCertificateAuthorities (MaxResults,
 * NextToken, ResourceOwner SELF or OTHER_ACCOUNTS: the CAs shared with the caller through AWS RAM), every key and
 * signing algorithm and usage mode of the API reference, GetCertificateAuthorityCertificate (also for a shared
 * CA; InvalidStateException while a CA has no certificate), ListTags (the owner's only),
 * and IssueCertificate / GetCertificateAuthorityCsr answered AccessDenied and counted, since an
 * inventory has no business calling them. With `issuing` (a renewal's test), IssueCertificate signs the CSR with
 * the CA's key (one certificate per idempotency token, as within AWS's five minutes), and GetCertificate answers
 * RequestInProgressException `issuePolls` times before the certificate.
 * RevokeCertificate (the CA's own account only: AWS RAM's default permission for a shared CA does not grant it)
 * revokes a certificate the CA issued (`issueLeaf`, or IssueCertificate), by CertificateSerial in hex (colon-separated
 * or not); RequestAlreadyProcessedException when it is revoked already, ResourceNotFoundException for a serial
 * the CA never issued, InvalidStateException when the CA is not ACTIVE, ValidationException for a malformed
 * serial or reason. What it revoked is in the CA's CRL, which `serveCrls` publishes over HTTP on 127.0.0.1 (as
 * ACM PCA publishes its CRL to S3), for the certificates issued afterwards to name in their CRL distribution point.
 */

export interface FakePcaOptions {
  /** IssueCertificate issues rather than answering AccessDenied. @default false */
  issuing?: boolean;
  /** GetCertificate calls of an issued certificate answered RequestInProgressException first. @default 1 */
  issuePolls?: number;
}

/** A certificate the fake CA issued. */
export interface FakeIssued {
  arn: string;
  authorityArn: string;
  pem: string;
  fingerprint: string;
  /** The serial, lowercase hex without leading zeros or colons: what RevokeCertificate is matched against. */
  serial: string;
  pollsLeft: number;
}

/** RevokeCertificate's RevocationReason → the CRL entry's reason code (RFC 5280). */
const CRL_REASON: Record<string, x509.X509CrlReason> = {
  UNSPECIFIED: x509.X509CrlReason.unspecified,
  KEY_COMPROMISE: x509.X509CrlReason.keyCompromise,
  CERTIFICATE_AUTHORITY_COMPROMISE: x509.X509CrlReason.cACompromise,
  AFFILIATION_CHANGED: x509.X509CrlReason.affiliationChanged,
  SUPERSEDED: x509.X509CrlReason.superseded,
  CESSATION_OF_OPERATION: x509.X509CrlReason.cessationOfOperation,
  PRIVILEGE_WITHDRAWN: x509.X509CrlReason.privilegeWithdrawn,
  A_A_COMPROMISE: x509.X509CrlReason.aACompromise,
};

/** A serial in any hex form (`0A:1b…`, `0a1b…`) as the fake keys it. */
const serialKey = (hex: string): string =>
  hex
    .replace(/:/g, '')
    .toLowerCase()
    .replace(/^0+(?=.)/, '');

export type FakeCaStatus =
  'CREATING' | 'PENDING_CERTIFICATE' | 'ACTIVE' | 'DELETED' | 'DISABLED' | 'EXPIRED' | 'FAILED';

/** KeyAlgorithm, as the API reference lists it (CertificateAuthorityConfiguration). */
export type PcaKeyAlgorithm =
  | 'RSA_2048'
  | 'RSA_3072'
  | 'RSA_4096'
  | 'EC_prime256v1'
  | 'EC_secp384r1'
  | 'EC_secp521r1'
  | 'SM2'
  | 'ML_DSA_44'
  | 'ML_DSA_65'
  | 'ML_DSA_87';

export type PcaSigningAlgorithm =
  | 'SHA256WITHECDSA'
  | 'SHA384WITHECDSA'
  | 'SHA512WITHECDSA'
  | 'SHA256WITHRSA'
  | 'SHA384WITHRSA'
  | 'SHA512WITHRSA'
  | 'SM3WITHSM2'
  | 'ML_DSA_44'
  | 'ML_DSA_65'
  | 'ML_DSA_87';

/** The signing algorithm a CA of this key algorithm is made with when none is named. */
const DEFAULT_SIGNING: Record<PcaKeyAlgorithm, PcaSigningAlgorithm> = {
  RSA_2048: 'SHA256WITHRSA',
  RSA_3072: 'SHA256WITHRSA',
  RSA_4096: 'SHA256WITHRSA',
  EC_prime256v1: 'SHA256WITHECDSA',
  EC_secp384r1: 'SHA384WITHECDSA',
  EC_secp521r1: 'SHA512WITHECDSA',
  SM2: 'SM3WITHSM2',
  ML_DSA_44: 'ML_DSA_44',
  ML_DSA_65: 'ML_DSA_65',
  ML_DSA_87: 'ML_DSA_87',
};

export interface FakeCertificateAuthority {
  arn: string;
  accountId: string;
  region: string;
  type: 'ROOT' | 'SUBORDINATE';
  status: FakeCaStatus;
  commonName: string;
  keyAlgorithm: PcaKeyAlgorithm;
  signingAlgorithm: PcaSigningAlgorithm;
  usageMode: 'GENERAL_PURPOSE' | 'SHORT_LIVED_CERTIFICATE';
  /** Accounts it is shared with through AWS RAM: they list it with `ResourceOwner: OTHER_ACCOUNTS`. */
  sharedWith: string[];
  crl?: { enabled: boolean; expirationInDays?: number; s3Bucket?: string };
  ocsp?: { enabled: boolean; customCname?: string };
  tags: Record<string, string>;
  createdAt: Date;
  lastStateChangeAt: Date;
  /** Serials (serialKey) it revoked: the reason as RevokeCertificate named it, and when. */
  revoked: Map<string, { reason: string; at: Date }>;
  /** Installed certificate and its chain (the parents), once there is one. */
  installed?: { certificate: IssuedCertificate; chainPem?: string; fingerprint: string };
  failureReason?: string;
  /** GetCertificateAuthorityCertificate answers AccessDeniedException, as after a change to the reader's permissions. */
  certificateDenied?: boolean;
}

export interface NewCertificateAuthority {
  accountId: string;
  region: string;
  commonName: string;
  type?: FakeCertificateAuthority['type'];
  status?: FakeCaStatus;
  crl?: FakeCertificateAuthority['crl'];
  ocsp?: FakeCertificateAuthority['ocsp'];
  tags?: Record<string, string>;
  /** Signs a subordinate's certificate; a root signs its own. */
  parent?: FakeCertificateAuthority;
  /** @default 3650 */
  daysLeft?: number;
  /** @default EC_prime256v1 */
  keyAlgorithm?: PcaKeyAlgorithm;
  /** @default the key algorithm's (DEFAULT_SIGNING) */
  signingAlgorithm?: PcaSigningAlgorithm;
  /** @default GENERAL_PURPOSE */
  usageMode?: FakeCertificateAuthority['usageMode'];
  sharedWith?: string[];
}

/** ACM Private CA's state in every account and region, and the service that serves it. */
export class FakePca {
  private readonly authorities = new Map<string, FakeCertificateAuthority>();
  /** Calls that would issue certificates or touch keys: must stay 0. */
  forbiddenCalls = 0;
  /** Certificates issued, in order. */
  readonly issued: FakeIssued[] = [];
  /** IssueCertificate calls that went through, a repeated idempotency token's included. */
  issueCalls = 0;
  /** RevokeCertificate requests as received (their revocation or their refusal). */
  readonly revokeCalls: Array<Record<string, unknown>> = [];
  private crlServer?: Server;
  private crlBase?: string;
  private readonly byToken = new Map<string, FakeIssued>();

  constructor(
    readonly at: Date,
    private readonly options: FakePcaOptions = {},
  ) {}

  async add(spec: NewCertificateAuthority): Promise<FakeCertificateAuthority> {
    const status = spec.status ?? 'ACTIVE';
    const authority: FakeCertificateAuthority = {
      arn: `arn:aws:acm-pca:${spec.region}:${spec.accountId}:certificate-authority/${randomUUID()}`,
      accountId: spec.accountId,
      region: spec.region,
      type: spec.type ?? (spec.parent ? 'SUBORDINATE' : 'ROOT'),
      status,
      commonName: spec.commonName,
      keyAlgorithm: spec.keyAlgorithm ?? 'EC_prime256v1',
      signingAlgorithm: spec.signingAlgorithm ?? DEFAULT_SIGNING[spec.keyAlgorithm ?? 'EC_prime256v1'],
      usageMode: spec.usageMode ?? 'GENERAL_PURPOSE',
      sharedWith: spec.sharedWith ?? [],
      crl: spec.crl,
      ocsp: spec.ocsp,
      tags: spec.tags ?? {},
      revoked: new Map(),
      createdAt: new Date(this.at.getTime() - 30 * 86_400_000),
      lastStateChangeAt: new Date(this.at.getTime() - 29 * 86_400_000),
      failureReason: status === 'FAILED' ? 'OTHER' : undefined,
    };
    if (status !== 'PENDING_CERTIFICATE' && status !== 'CREATING' && status !== 'FAILED') {
      await this.install(authority, spec.parent, spec.daysLeft ?? 3650);
    }
    this.authorities.set(authority.arn, authority);
    return authority;
  }

  /** Installs a (new) CA certificate: the first one of a pending CA, or a renewal at the same ARN. */
  async install(
    authority: FakeCertificateAuthority,
    parent?: FakeCertificateAuthority,
    daysLeft = 3650,
  ): Promise<void> {
    const day = 86_400_000;
    const certificate = await issueCertificate({
      subject: `CN=${authority.commonName}`,
      ca: true,
      issuer: parent?.installed?.certificate,
      notBefore: new Date(this.at.getTime() - 30 * day),
      notAfter: new Date(this.at.getTime() + daysLeft * day),
    });
    const chainPem = parent?.installed
      ? [parent.installed.certificate.pem, parent.installed.chainPem].filter(Boolean).join('')
      : undefined;
    authority.installed = {
      certificate,
      chainPem,
      fingerprint: parseCertificates(certificate.pem, authority.arn).certificates[0].record.fingerprintSha256,
    };
    authority.status = authority.status === 'PENDING_CERTIFICATE' ? 'ACTIVE' : authority.status;
    authority.lastStateChangeAt = new Date(authority.lastStateChangeAt.getTime() + 60_000);
  }

  remove(arn: string): void {
    this.authorities.delete(arn);
  }

  all(): FakeCertificateAuthority[] {
    return [...this.authorities.values()];
  }

  /**
   * A leaf the CA issues (as IssueCertificate would, without a CSR: its key is made here and dropped), kept among
   * the issued so that it can be revoked; it names the CA's CRL when `serveCrls` runs.
   */
  async issueLeaf(
    authority: FakeCertificateAuthority,
    spec: { commonName: string; notBefore: Date; notAfter: Date },
  ): Promise<FakeIssued & { certificate: IssuedCertificate }> {
    const crl = this.crlUrlOf(authority);
    const certificate = await issueCertificate({
      subject: `CN=${spec.commonName}`,
      dns: [spec.commonName],
      issuer: authority.installed!.certificate,
      notBefore: spec.notBefore,
      notAfter: spec.notAfter,
      extensions: crl ? [new x509.CRLDistributionPointsExtension([crl])] : [],
    });
    return { ...this.keep(authority, certificate, 0), certificate };
  }

  /** Serves each CA's CRL at `<base>/crl/<CA id>.crl`, signed by the CA and listing what it revoked. */
  async serveCrls(): Promise<string> {
    this.crlServer = createServer((request, response) => {
      const authority = this.all().find((candidate) => request.url === new URL(this.crlUrlOf(candidate)!).pathname);
      if (!authority?.installed) {
        response.writeHead(404).end();
        return;
      }
      this.crlOf(authority).then(
        (der) => response.writeHead(200, { 'content-type': 'application/pkix-crl' }).end(Buffer.from(der)),
        () => response.writeHead(500).end(),
      );
    });
    await new Promise<void>((listening) => this.crlServer!.listen(0, '127.0.0.1', listening));
    this.crlBase = `http://127.0.0.1:${(this.crlServer.address() as AddressInfo).port}`;
    return this.crlBase;
  }

  async close(): Promise<void> {
    const server = this.crlServer;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((closed) => server.close(closed));
  }

  private crlUrlOf(authority: FakeCertificateAuthority): string | undefined {
    return this.crlBase && `${this.crlBase}/crl/${authority.arn.split('/').pop()}.crl`;
  }

  /** The CA's CRL now: every serial it revoked, with the reason and time, valid for a day. */
  private async crlOf(authority: FakeCertificateAuthority): Promise<Uint8Array> {
    const installed = authority.installed!.certificate;
    const now = new Date();
    const crl = await x509.X509CrlGenerator.create({
      issuer: installed.certificate.subject,
      thisUpdate: new Date(now.getTime() - 60_000),
      nextUpdate: new Date(now.getTime() + 86_400_000),
      signingAlgorithm: installed.signingAlgorithm,
      signingKey: installed.keys.privateKey,
      entries: [...authority.revoked].map(([serial, { reason, at }]) => ({
        serialNumber: serial.length % 2 === 1 ? `0${serial}` : serial,
        revocationDate: at,
        reason: CRL_REASON[reason],
      })),
    });
    return new Uint8Array(crl.rawData);
  }

  private keep(authority: FakeCertificateAuthority, certificate: IssuedCertificate, pollsLeft: number): FakeIssued {
    const issued: FakeIssued = {
      arn: `${authority.arn}/certificate/${randomUUID().replace(/-/g, '')}`,
      authorityArn: authority.arn,
      pem: certificate.pem,
      fingerprint: createHash('sha256').update(certificate.der).digest('hex'),
      serial: serialKey(certificate.certificate.serialNumber),
      pollsLeft,
    };
    this.issued.push(issued);
    return issued;
  }

  readonly service: AwsJsonService = {
    targetPrefix: 'ACMPrivateCA',
    operations: {
      ListCertificateAuthorities: (input, context) => {
        const maxResults = (input.MaxResults as number | undefined) ?? 1000;
        if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 1000) {
          throw new AwsFault('ValidationException', 'MaxResults must be between 1 and 1000');
        }
        const owner = (input.ResourceOwner as string | undefined) ?? 'SELF';
        if (owner !== 'SELF' && owner !== 'OTHER_ACCOUNTS') {
          throw new AwsFault('ValidationException', `ResourceOwner must be SELF or OTHER_ACCOUNTS, not ${owner}`);
        }
        const arns = [...this.authorities.values()]
          .filter((authority) => authority.region === context.region)
          .filter((authority) =>
            owner === 'SELF'
              ? authority.accountId === context.accountId
              : authority.sharedWith.includes(context.accountId),
          )
          .map((authority) => authority.arn)
          .sort();
        const page = pageOf(arns, (arn) => this.describe(this.authorities.get(arn)!), input.NextToken, maxResults);
        return { CertificateAuthorities: page.items, NextToken: page.nextToken };
      },
      GetCertificateAuthorityCertificate: (input, context) => {
        // AWS RAM's default permission for a shared CA lets the accounts it is shared with read its certificate.
        const authority = this.find(input, context, { shared: true });
        if (authority.certificateDenied)
          throw new AwsFault('AccessDeniedException', `not authorized on ${authority.arn}`);
        if (!authority.installed) {
          throw new AwsFault(
            'InvalidStateException',
            `The certificate authority ${authority.arn} is not in the correct state to have a certificate signing request.`,
          );
        }
        return { Certificate: authority.installed.certificate.pem, CertificateChain: authority.installed.chainPem };
      },
      ListTags: (input, context) => {
        const tags = Object.entries(this.find(input, context).tags).map(([Key, Value]) => ({ Key, Value }));
        const page = pageOf(
          tags.map(({ Key }) => Key).sort(),
          (key) => tags.find((tag) => tag.Key === key)!,
          input.NextToken,
          (input.MaxResults as number | undefined) ?? 50,
        );
        return { Tags: page.items, NextToken: page.nextToken };
      },
      IssueCertificate: (input, context) => (this.options.issuing ? this.issue(input, context) : this.forbidden()),
      GetCertificate: (input, context) => {
        const authority = this.find(input, context, { shared: true });
        const issued = this.issued.find(
          (one) => one.arn === input.CertificateArn && one.authorityArn === authority.arn,
        );
        if (!issued)
          throw new AwsFault(
            'ResourceNotFoundException',
            `Could not find certificate ${String(input.CertificateArn)}.`,
          );
        if (issued.pollsLeft > 0) {
          issued.pollsLeft--;
          throw new AwsFault('RequestInProgressException', 'The request is still in progress.');
        }
        return { Certificate: issued.pem, CertificateChain: authority.installed!.certificate.pem };
      },
      GetCertificateAuthorityCsr: () => this.forbidden(),
      RevokeCertificate: (input, context) => this.revoke(input, context),
    },
  };

  private revoke(input: Record<string, unknown>, context: AwsCallContext) {
    this.revokeCalls.push(input);
    const authority = this.find(input, context);
    const serial = input.CertificateSerial;
    if (typeof serial !== 'string' || serial.length > 128 || !/^[0-9a-fA-F]{1,2}(:?[0-9a-fA-F]{2})*$/.test(serial)) {
      throw new AwsFault('ValidationException', `CertificateSerial ${String(serial)} is not hexadecimal.`);
    }
    const reason = String(input.RevocationReason);
    if (!(reason in CRL_REASON)) {
      throw new AwsFault('ValidationException', `RevocationReason ${reason} is not a valid value.`);
    }
    if (authority.status !== 'ACTIVE') {
      throw new AwsFault('InvalidStateException', `The certificate authority ${authority.arn} is not ACTIVE.`);
    }
    const key = serialKey(serial);
    if (!this.issued.some((one) => one.authorityArn === authority.arn && one.serial === key)) {
      throw new AwsFault('ResourceNotFoundException', `Could not find certificate with serial ${serial}.`);
    }
    if (authority.revoked.has(key)) {
      throw new AwsFault('RequestAlreadyProcessedException', `The certificate ${serial} has already been revoked.`);
    }
    authority.revoked.set(key, { reason, at: new Date() });
    return {};
  }

  private async issue(input: Record<string, unknown>, context: AwsCallContext) {
    const authority = this.find(input, context, { shared: true });
    if (!authority.installed || authority.status !== 'ACTIVE') {
      throw new AwsFault('InvalidStateException', `The certificate authority ${authority.arn} is not ACTIVE.`);
    }
    this.issueCalls++;
    const token = typeof input.IdempotencyToken === 'string' ? `${authority.arn} ${input.IdempotencyToken}` : undefined;
    const earlier = token ? this.byToken.get(token) : undefined;
    if (earlier) return { CertificateArn: earlier.arn };
    const csr = new x509.Pkcs10CertificateRequest(Buffer.from(String(input.Csr), 'base64').toString('utf8'));
    if (!(await csr.verify())) throw new AwsFault('MalformedCSRException', 'The CSR signature does not verify.');
    const validity = input.Validity as { Type: string; Value: number };
    const publicKey = await csr.publicKey.export();
    const san = csr.extensions.find((extension) => extension instanceof x509.SubjectAlternativeNameExtension);
    const certificate = await issueCertificate({
      subject: csr.subject,
      dns: san?.names.items.filter((name) => name.type === 'dns').map((name) => name.value),
      keys: { publicKey, privateKey: publicKey },
      issuer: authority.installed.certificate,
      notBefore: this.at,
      notAfter: new Date(this.at.getTime() + validity.Value * 86_400_000),
    });
    const issued = this.keep(authority, certificate, this.options.issuePolls ?? 1);
    if (token) this.byToken.set(token, issued);
    return { CertificateArn: issued.arn };
  }

  private forbidden(): never {
    this.forbiddenCalls++;
    throw new AwsFault('AccessDeniedException', 'an inventory must not issue certificates');
  }

  /** The CA the call names, in the caller's own account (or, with `shared`, shared with it); else not found. */
  private find(
    input: Record<string, unknown>,
    context: AwsCallContext,
    { shared = false } = {},
  ): FakeCertificateAuthority {
    const arn = input.CertificateAuthorityArn;
    const authority = typeof arn === 'string' ? this.authorities.get(arn) : undefined;
    const visible =
      authority?.accountId === context.accountId || (shared && authority?.sharedWith.includes(context.accountId));
    if (!authority || !visible || authority.region !== context.region) {
      throw new AwsFault('ResourceNotFoundException', `Could not find certificate authority ${String(arn)}.`);
    }
    return authority;
  }

  private describe(authority: FakeCertificateAuthority) {
    const certificate = authority.installed?.certificate.certificate;
    return {
      Arn: authority.arn,
      OwnerAccount: authority.accountId,
      CreatedAt: epochSeconds(authority.createdAt),
      LastStateChangeAt: epochSeconds(authority.lastStateChangeAt),
      Type: authority.type,
      Serial: certificate?.serialNumber,
      Status: authority.status,
      NotBefore: epochSeconds(certificate?.notBefore),
      NotAfter: epochSeconds(certificate?.notAfter),
      FailureReason: authority.failureReason,
      CertificateAuthorityConfiguration: {
        KeyAlgorithm: authority.keyAlgorithm,
        SigningAlgorithm: authority.signingAlgorithm,
        Subject: { CommonName: authority.commonName },
      },
      RevocationConfiguration: {
        CrlConfiguration: authority.crl
          ? {
              Enabled: authority.crl.enabled,
              ExpirationInDays: authority.crl.expirationInDays,
              S3BucketName: authority.crl.s3Bucket,
            }
          : { Enabled: false },
        OcspConfiguration: authority.ocsp
          ? { Enabled: authority.ocsp.enabled, OcspCustomCname: authority.ocsp.customCname }
          : { Enabled: false },
      },
      KeyStorageSecurityStandard: 'FIPS_140_2_LEVEL_3_OR_HIGHER',
      UsageMode: authority.usageMode,
    };
  }
}
