import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  KeyObject,
  randomBytes,
  randomUUID,
  sign,
  X509Certificate,
} from 'node:crypto';
import { issueCertificate, type IssuedCertificate, type KeySpec } from '../../../lib/x509/factory';
import { readTlv, type Tlv } from '../../../lib/x509/der';
import { AwsFault, epochSeconds, pageOf, type AwsCallContext, type AwsJsonService } from './aws-json-server';

/**
 * ACM (CertificateManager, awsJson1_1) on the fake AWS endpoint: ListCertificates with ACM's own filter
 * defaults (only RSA_1024/RSA_2048 without `Includes.keyTypes`; only AWS_MANAGED/CUSTOMER_PROVIDED key pair
 * origins without `CertificateKeyPairOrigins`), NextToken/MaxItems paging, DescribeCertificate,
 * GetCertificate (RequestInProgressException while there is no body), ListTagsForCertificate, and an
 * ExportCertificate that only counts (the connector must never call it). For renewals: RenewCertificate of a
 * PRIVATE certificate (PENDING_AUTO_RENEWAL for `renewalPolls` descriptions, then a new body, or FAILED with
 * `renewalFailure`), RenewalSummary of managed ones (`renewalSummary`), and ImportCertificate at an existing ARN
 * (the key must match the certificate; the key itself is never kept).
 */

export type AcmKeyAlgorithm =
  'RSA_1024' | 'RSA_2048' | 'RSA_3072' | 'RSA_4096' | 'EC_prime256v1' | 'EC_secp384r1' | 'EC_secp521r1';
const KEY_ALGORITHMS = new Set<string>([
  'RSA_1024',
  'RSA_2048',
  'RSA_3072',
  'RSA_4096',
  'EC_prime256v1',
  'EC_secp384r1',
  'EC_secp521r1',
]);
const KEY_PAIR_ORIGINS = new Set(['AWS_MANAGED', 'CUSTOMER_PROVIDED', 'ACME']);
const WITH_BODY = new Set(['ISSUED', 'INACTIVE', 'EXPIRED', 'REVOKED']);

export interface FakeAcmCertificate {
  arn: string;
  accountId: string;
  region: string;
  domainName: string;
  type: 'AMAZON_ISSUED' | 'IMPORTED' | 'PRIVATE';
  status: 'ISSUED' | 'PENDING_VALIDATION' | 'FAILED' | 'VALIDATION_TIMED_OUT' | 'EXPIRED' | 'INACTIVE' | 'REVOKED';
  keyAlgorithm: AcmKeyAlgorithm;
  keyPairOrigin: 'AWS_MANAGED' | 'CUSTOMER_PROVIDED' | 'ACME';
  renewalEligibility: 'ELIGIBLE' | 'INELIGIBLE';
  inUseBy: string[];
  tags: Record<string, string>;
  createdAt: Date;
  /** The body, when ACM has one. */
  issued?: IssuedBody;
  failureReason?: string;
  certificateAuthorityArn?: string;
  /** What DescribeCertificate says of a managed renewal. */
  renewalSummary?: FakeRenewalSummary;
  /** RenewCertificate ends FAILED with this reason instead of renewing. */
  renewalFailure?: string;
  /** Descriptions left before a renewal asked with RenewCertificate completes. */
  renewalPollsLeft?: number;
  /** GetCertificate answers AccessDeniedException, as after a change to the reader's permissions. */
  bodyDenied?: boolean;
}

export interface FakeRenewalSummary {
  status: 'PENDING_AUTO_RENEWAL' | 'PENDING_VALIDATION' | 'SUCCESS' | 'FAILED';
  reason?: string;
  /** Domains and their validation status; a CNAME record to fix with each. */
  domains?: Array<{ domain: string; status: 'PENDING_VALIDATION' | 'SUCCESS' | 'FAILED'; cname?: [string, string] }>;
}

/** A certificate body as ACM serves it, with what a test needs to compare against the inventory. */
export interface IssuedBody {
  pem: string;
  chainPem: string;
  notBefore: Date;
  notAfter: Date;
  serial: string;
  fingerprint: string;
}

/**
 * Makes certificates quickly: lib/x509/factory makes one CA and, per key type, one key pair and one template
 * leaf; every further leaf is that template re-encoded with its own serial, name and dates and signed again
 * by the CA with node:crypto, about a hundred times faster than a full factory issue (10,000 certificates
 * in about a second), so tests and the benchmark can hold thousands.
 */
export class CertificateMill {
  private constructor(
    readonly ca: IssuedCertificate,
    private readonly caKey: KeyObject,
    private readonly templates: Map<string, LeafTemplate>,
    readonly at: Date,
  ) {}

  static async create(at: Date): Promise<CertificateMill> {
    const ca = await issueCertificate({
      subject: 'CN=Fake Amazon RSA 2048 M01, O=Amazon, C=US',
      ca: true,
      notBefore: new Date(at.getTime() - 400 * DAY),
      notAfter: new Date(at.getTime() + 3000 * DAY),
    });
    const templates = new Map<string, LeafTemplate>();
    const specs: Array<[string, KeySpec]> = [
      ['RSA', { algorithm: 'RSA', bits: 2048 }],
      ['P-256', { algorithm: 'EC', curve: 'P-256' }],
      ['P-384', { algorithm: 'EC', curve: 'P-384' }],
    ];
    for (const [name, key] of specs) {
      const template = await issueCertificate({
        subject: 'CN=template.example.com',
        dns: ['template.example.com'],
        issuer: ca,
        key,
        notBefore: at,
        notAfter: at,
      });
      templates.set(name, leafTemplate(template.der));
    }
    return new CertificateMill(ca, KeyObject.from(ca.keys.privateKey), templates, at);
  }

  /**
   * A certificate for `domain`, valid from `daysOld` days before the mill's date until `daysLeft` days after it.
   * With `ownKey` it gets a key pair of its own (fast for EC, about 50 ms for RSA) instead of its key type's shared
   * one, as in a real estate where no two certificates share a key.
   */
  issue(domain: string, keyAlgorithm: AcmKeyAlgorithm, daysLeft: number, ownKey = false, daysOld = 10): IssuedBody {
    const shared = this.templates.get(
      keyAlgorithm.startsWith('RSA') ? 'RSA' : keyAlgorithm === 'EC_prime256v1' ? 'P-256' : 'P-384',
    )!;
    const template = ownKey ? { ...shared, publicKey: freshPublicKey(keyAlgorithm) } : shared;
    const notBefore = new Date(Math.floor((this.at.getTime() - daysOld * DAY) / 1000) * 1000);
    const notAfter = new Date(Math.floor((this.at.getTime() + daysLeft * DAY) / 1000) * 1000);
    const serial = randomBytes(16);
    serial[0] = (serial[0] & 0x7f) | 0x01;
    const name = der(
      0x30,
      der(0x31, der(0x30, Buffer.from([0x06, 0x03, 0x55, 0x04, 0x03]), der(0x0c, Buffer.from(domain)))),
    );
    const san = der(
      0x30,
      Buffer.from([0x06, 0x03, 0x55, 0x1d, 0x11]),
      der(0x04, der(0x30, der(0x82, Buffer.from(domain)))),
    );
    const tbs = der(
      0x30,
      template.version,
      der(0x02, serial),
      template.signatureAlgorithm,
      template.issuer,
      der(0x30, derTime(notBefore), derTime(notAfter)),
      name,
      template.publicKey,
      der(0xa3, der(0x30, ...template.extensions, san)),
    );
    const signature = sign('sha256', tbs, { key: this.caKey, dsaEncoding: 'der' });
    const certificate = der(0x30, tbs, template.signatureAlgorithm, der(0x03, Buffer.from([0]), signature));
    const body = certificate.toString('base64').replace(/(.{64})/g, '$1\n');
    return {
      pem: `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`,
      chainPem: this.ca.pem,
      notBefore,
      notAfter,
      serial: serial.toString('hex'),
      fingerprint: createHash('sha256').update(certificate).digest('hex'),
    };
  }
}

const DAY = 86_400_000;

/** The SubjectPublicKeyInfo (DER) of a new key pair of ACM's key algorithm. */
function freshPublicKey(keyAlgorithm: AcmKeyAlgorithm): Buffer {
  const { publicKey } = keyAlgorithm.startsWith('RSA')
    ? generateKeyPairSync('rsa', { modulusLength: Number(keyAlgorithm.slice(4)) })
    : generateKeyPairSync('ec', {
        namedCurve: { EC_prime256v1: 'prime256v1', EC_secp384r1: 'secp384r1', EC_secp521r1: 'secp521r1' }[
          keyAlgorithm as 'EC_prime256v1'
        ],
      });
  return publicKey.export({ type: 'spki', format: 'der' });
}

/** The parts of a leaf that every copy keeps: all but serial, validity, subject and subjectAltName. */
interface LeafTemplate {
  version: Buffer;
  signatureAlgorithm: Buffer;
  issuer: Buffer;
  publicKey: Buffer;
  extensions: Buffer[];
}

function leafTemplate(certificate: Uint8Array): LeafTemplate {
  const bytes = Buffer.from(certificate);
  const children = (tlv: Tlv) => {
    const found: Tlv[] = [];
    for (let at = tlv.body; at < tlv.bodyEnd; at = found[found.length - 1].end)
      found.push(readTlv(bytes, at, tlv.bodyEnd));
    return found;
  };
  const slice = (tlv: Tlv) => bytes.subarray(tlv.start, tlv.end);
  const [tbs] = children(readTlv(bytes, 0, bytes.length));
  const [version, , signatureAlgorithm, issuer, , , publicKey, extensionsField] = children(tbs);
  const [extensionList] = children(extensionsField);
  const SUBJECT_ALT_NAME = Buffer.from([0x06, 0x03, 0x55, 0x1d, 0x11]);
  const extensions = children(extensionList)
    .map(slice)
    .filter((extension) => !extension.subarray(2, 7).equals(SUBJECT_ALT_NAME));
  return {
    version: slice(version),
    signatureAlgorithm: slice(signatureAlgorithm),
    issuer: slice(issuer),
    publicKey: slice(publicKey),
    extensions,
  };
}

function der(tag: number, ...parts: Buffer[]): Buffer {
  const length = parts.reduce((sum, part) => sum + part.length, 0);
  const header =
    length < 0x80
      ? [tag, length]
      : length < 0x100
        ? [tag, 0x81, length]
        : length < 0x10000
          ? [tag, 0x82, length >> 8, length & 0xff]
          : [tag, 0x83, length >> 16, (length >> 8) & 0xff, length & 0xff];
  return Buffer.concat([Buffer.from(header), ...parts]);
}

/** UTCTime until 2049, GeneralizedTime after, as RFC 5280 demands. */
function derTime(date: Date): Buffer {
  const iso = date.toISOString();
  const digits = iso.slice(0, 19).replace(/[-T:]/g, '');
  return date.getUTCFullYear() < 2050
    ? der(0x17, Buffer.from(`${digits.slice(2)}Z`))
    : der(0x18, Buffer.from(`${digits}Z`));
}

export interface NewAcmCertificate {
  accountId: string;
  region: string;
  domainName: string;
  type?: FakeAcmCertificate['type'];
  status?: FakeAcmCertificate['status'];
  keyAlgorithm?: AcmKeyAlgorithm;
  keyPairOrigin?: FakeAcmCertificate['keyPairOrigin'];
  inUseBy?: string[];
  tags?: Record<string, string>;
  /** @default 90 */
  daysLeft?: number;
  /** Days since it was issued. @default 10 */
  daysOld?: number;
  /** A key pair of its own rather than its key type's shared one (see CertificateMill.issue). @default false */
  ownKey?: boolean;
}

export interface FakeAcmOptions {
  /**
   * Requests per second each `<account>/<region>` accepts per operation, as ACM's published API rate quotas set
   * them (e.g. `{ DescribeCertificate: 10 }`): a token bucket per scope × operation holding one second's worth,
   * beyond which the call is answered ThrottlingException. Operations not named are not limited.
   * @default no limit
   */
  ratePerScope?: Readonly<Record<string, number>>;
  /** Descriptions of a certificate before a RenewCertificate completes. @default 2 */
  renewalPolls?: number;
}

/** ACM's state in every account and region, and the service that serves it. */
export class FakeAcm {
  private readonly certificates = new Map<string, FakeAcmCertificate>();
  private sortedArns: string[] | undefined;
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  /** Every ListCertificates request body, in order. */
  readonly listRequests: Array<Record<string, unknown>> = [];
  /** ExportCertificate calls received (private keys asked for): must stay 0. */
  exportCalls = 0;
  /** Imports at an existing ARN that went through: ARN and the SHA-256 of the imported certificate. */
  readonly imports: Array<{ arn: string; fingerprint: string }> = [];
  /** RenewCertificate calls received, by ARN. */
  readonly renewCalls: string[] = [];
  /** Calls received per `<account>/<region>` and operation, throttled ones included. */
  readonly scopeCalls = new Map<string, Map<string, number>>();
  /** Calls answered ThrottlingException by `ratePerScope`, per `<account>/<region>` and operation. */
  readonly scopeThrottles = new Map<string, Map<string, number>>();

  constructor(
    readonly mill: CertificateMill,
    private readonly options: FakeAcmOptions = {},
  ) {}

  static async create(at: Date, options: FakeAcmOptions = {}): Promise<FakeAcm> {
    return new FakeAcm(await CertificateMill.create(at), options);
  }

  add(spec: NewAcmCertificate): FakeAcmCertificate {
    const type = spec.type ?? 'AMAZON_ISSUED';
    const status = spec.status ?? 'ISSUED';
    const keyAlgorithm = spec.keyAlgorithm ?? 'RSA_2048';
    const certificate: FakeAcmCertificate = {
      arn: `arn:aws:acm:${spec.region}:${spec.accountId}:certificate/${randomUUID()}`,
      accountId: spec.accountId,
      region: spec.region,
      domainName: spec.domainName,
      type,
      status,
      keyAlgorithm,
      keyPairOrigin: spec.keyPairOrigin ?? (type === 'IMPORTED' ? 'CUSTOMER_PROVIDED' : 'AWS_MANAGED'),
      renewalEligibility: type !== 'IMPORTED' && (spec.inUseBy?.length ?? 0) > 0 ? 'ELIGIBLE' : 'INELIGIBLE',
      inUseBy: spec.inUseBy ?? [],
      tags: spec.tags ?? {},
      createdAt: new Date(Date.UTC(2026, 0, 1)),
      issued: WITH_BODY.has(status)
        ? this.mill.issue(spec.domainName, keyAlgorithm, spec.daysLeft ?? 90, spec.ownKey, spec.daysOld)
        : undefined,
      failureReason: status === 'FAILED' ? 'CAA_ERROR' : undefined,
    };
    this.certificates.set(certificate.arn, certificate);
    this.sortedArns = undefined;
    return certificate;
  }

  /**
   * A renewal: a new certificate body (new serial and dates) at the same ARN, issued `daysOld` days back, with a key
   * of its own if `ownKey` (CertificateMill.issue).
   */
  renew(arn: string, daysLeft = 395, options: { daysOld?: number; ownKey?: boolean } = {}): FakeAcmCertificate {
    const certificate = this.get(arn);
    const { daysOld, ownKey = false } = options;
    certificate.issued = this.mill.issue(certificate.domainName, certificate.keyAlgorithm, daysLeft, ownKey, daysOld);
    certificate.status = 'ISSUED';
    return certificate;
  }

  remove(arn: string): void {
    this.certificates.delete(arn);
    this.sortedArns = undefined;
  }

  get(arn: string): FakeAcmCertificate {
    const certificate = this.certificates.get(arn);
    if (!certificate) throw new Error(`no certificate ${arn}`);
    return certificate;
  }

  all(): FakeAcmCertificate[] {
    return [...this.certificates.values()];
  }

  readonly service: AwsJsonService = {
    targetPrefix: 'CertificateManager',
    operations: this.metered({
      ListCertificates: (input, context) => this.listCertificates(input, context),
      DescribeCertificate: (input, context) => ({ Certificate: this.detail(this.progress(this.find(input, context))) }),
      RenewCertificate: (input, context) => {
        const certificate = this.find(input, context);
        if (certificate.type !== 'PRIVATE') {
          throw new AwsFault('ValidationException', `Certificate ${certificate.arn} is not a private certificate`);
        }
        this.renewCalls.push(certificate.arn);
        if (certificate.renewalFailure) {
          certificate.renewalSummary = { status: 'FAILED', reason: certificate.renewalFailure };
        } else {
          certificate.renewalSummary = { status: 'PENDING_AUTO_RENEWAL' };
          certificate.renewalPollsLeft = this.options.renewalPolls ?? 2;
        }
        return {};
      },
      ImportCertificate: (input, context) => this.importAt(input, context),
      GetCertificate: (input, context) => {
        const certificate = this.find(input, context);
        if (certificate.bodyDenied) throw new AwsFault('AccessDeniedException', `not authorized on ${certificate.arn}`);
        if (!certificate.issued) {
          throw new AwsFault('RequestInProgressException', `Certificate ${certificate.arn} is not yet issued`);
        }
        return { Certificate: certificate.issued.pem, CertificateChain: certificate.issued.chainPem };
      },
      ListTagsForCertificate: (input, context) => {
        const tags = Object.entries(this.find(input, context).tags);
        return tags.length > 0 ? { Tags: tags.map(([Key, Value]) => ({ Key, Value })) } : {};
      },
      ExportCertificate: () => {
        this.exportCalls++;
        throw new AwsFault('AccessDeniedException', 'certwarden must never export a private key');
      },
    }),
  };

  /** A renewal asked for with RenewCertificate moves on by one description, and completes at the last. */
  private progress(certificate: FakeAcmCertificate): FakeAcmCertificate {
    if (certificate.renewalPollsLeft === undefined) return certificate;
    if (--certificate.renewalPollsLeft > 0) return certificate;
    certificate.renewalPollsLeft = undefined;
    this.renew(certificate.arn);
    certificate.renewalSummary = { status: 'SUCCESS' };
    return certificate;
  }

  /** ImportCertificate at an existing ARN (a re-import): the key must belong to the certificate. */
  private importAt(input: Record<string, unknown>, context: AwsCallContext) {
    const certificate = this.find(input, context);
    const text = (field: string) => Buffer.from(String(input[field] ?? ''), 'base64').toString('utf8');
    let parsed: X509Certificate;
    let keyMatches: boolean;
    try {
      parsed = new X509Certificate(text('Certificate'));
      const publicOfKey = createPublicKey(createPrivateKey(text('PrivateKey'))).export({ type: 'spki', format: 'der' });
      keyMatches = publicOfKey.equals(parsed.publicKey.export({ type: 'spki', format: 'der' }));
    } catch {
      throw new AwsFault('ValidationException', 'The certificate or private key could not be parsed.');
    }
    if (!keyMatches) throw new AwsFault('ValidationException', 'The private key does not match the certificate.');
    if (certificate.type !== 'IMPORTED') {
      throw new AwsFault('ValidationException', `Certificate ${certificate.arn} was not imported`);
    }
    const fingerprint = createHash('sha256').update(parsed.raw).digest('hex');
    certificate.issued = {
      pem: parsed.toString(),
      chainPem: text('CertificateChain'),
      notBefore: new Date(parsed.validFrom),
      notAfter: new Date(parsed.validTo),
      serial: parsed.serialNumber.toLowerCase(),
      fingerprint,
    };
    certificate.status = 'ISSUED';
    this.imports.push({ arn: certificate.arn, fingerprint });
    return { CertificateArn: certificate.arn };
  }

  /** The operations, each counting its calls per scope and throttled at the scope's quota first. */
  private metered(operations: AwsJsonService['operations']): AwsJsonService['operations'] {
    const tally = (counts: Map<string, Map<string, number>>, scope: string, operation: string) => {
      const byOperation = counts.get(scope) ?? new Map<string, number>();
      byOperation.set(operation, (byOperation.get(operation) ?? 0) + 1);
      counts.set(scope, byOperation);
    };
    return Object.fromEntries(
      Object.entries(operations).map(([operation, handler]) => [
        operation,
        (input: Record<string, unknown>, context: AwsCallContext) => {
          const scope = `${context.accountId}/${context.region}`;
          tally(this.scopeCalls, scope, operation);
          if (this.overQuota(scope, operation)) {
            tally(this.scopeThrottles, scope, operation);
            throw new AwsFault('ThrottlingException', 'Rate exceeded');
          }
          return handler(input, context);
        },
      ]),
    );
  }

  private overQuota(scope: string, operation: string): boolean {
    const rate = this.options.ratePerScope?.[operation];
    if (rate === undefined) return false;
    const key = `${scope} ${operation}`;
    const now = Date.now();
    const bucket = this.buckets.get(key) ?? { tokens: rate, at: now };
    bucket.tokens = Math.min(rate, bucket.tokens + (Math.max(0, now - bucket.at) / 1000) * rate);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return true;
    bucket.tokens -= 1;
    return false;
  }

  private find(input: Record<string, unknown>, context: AwsCallContext): FakeAcmCertificate {
    const arn = input.CertificateArn;
    if (typeof arn !== 'string') throw new AwsFault('ValidationException', 'CertificateArn is required');
    const certificate = this.certificates.get(arn);
    if (!certificate || certificate.accountId !== context.accountId || certificate.region !== context.region) {
      throw new AwsFault('ResourceNotFoundException', `Could not find certificate ${arn}.`);
    }
    return certificate;
  }

  private listCertificates(input: Record<string, unknown>, context: AwsCallContext) {
    this.listRequests.push(input);
    const includes = (input.Includes ?? {}) as { keyTypes?: string[] };
    const keyTypes = new Set(includes.keyTypes ?? ['RSA_1024', 'RSA_2048']);
    for (const keyType of keyTypes) {
      if (!KEY_ALGORITHMS.has(keyType)) throw new AwsFault('ValidationException', `invalid key type ${keyType}`);
    }
    const origins = new Set(
      (input.CertificateKeyPairOrigins as string[] | undefined) ?? ['AWS_MANAGED', 'CUSTOMER_PROVIDED'],
    );
    for (const origin of origins) {
      if (!KEY_PAIR_ORIGINS.has(origin)) throw new AwsFault('ValidationException', `invalid origin ${origin}`);
    }
    const statuses = input.CertificateStatuses as string[] | undefined;
    const maxItems = (input.MaxItems as number | undefined) ?? 1000;
    if (!Number.isInteger(maxItems) || maxItems < 1 || maxItems > 1000) {
      throw new AwsFault('ValidationException', 'MaxItems must be between 1 and 1000');
    }
    this.sortedArns ??= [...this.certificates.keys()].sort();
    const visible = this.sortedArns.filter((arn) => {
      const certificate = this.certificates.get(arn)!;
      return (
        certificate.accountId === context.accountId &&
        certificate.region === context.region &&
        keyTypes.has(certificate.keyAlgorithm) &&
        origins.has(certificate.keyPairOrigin) &&
        (!statuses || statuses.includes(certificate.status))
      );
    });
    const page = pageOf(visible, (arn) => this.summary(this.certificates.get(arn)!), input.NextToken, maxItems);
    return { CertificateSummaryList: page.items, NextToken: page.nextToken };
  }

  private summary(certificate: FakeAcmCertificate) {
    return {
      CertificateArn: certificate.arn,
      DomainName: certificate.domainName,
      SubjectAlternativeNameSummaries: [certificate.domainName],
      HasAdditionalSubjectAlternativeNames: false,
      Status: certificate.status,
      Type: certificate.type,
      KeyAlgorithm: certificate.keyAlgorithm,
      KeyUsages: certificate.issued ? ['DIGITAL_SIGNATURE', 'KEY_ENCIPHERMENT'] : undefined,
      ExtendedKeyUsages: certificate.issued ? ['TLS_WEB_SERVER_AUTHENTICATION'] : undefined,
      ExportOption: 'DISABLED',
      InUse: certificate.inUseBy.length > 0,
      Exported: false,
      RenewalEligibility: certificate.renewalEligibility,
      NotBefore: epochSeconds(certificate.issued?.notBefore),
      NotAfter: epochSeconds(certificate.issued?.notAfter),
      CreatedAt: epochSeconds(certificate.createdAt),
      IssuedAt: certificate.type === 'IMPORTED' ? undefined : epochSeconds(certificate.issued?.notBefore),
      ImportedAt: certificate.type === 'IMPORTED' ? epochSeconds(certificate.createdAt) : undefined,
      CertificateKeyPairOrigin: certificate.keyPairOrigin,
    };
  }

  private detail(certificate: FakeAcmCertificate) {
    return {
      CertificateArn: certificate.arn,
      DomainName: certificate.domainName,
      SubjectAlternativeNames: [certificate.domainName],
      Serial: certificate.issued?.serial.replace(/(..)(?=.)/g, '$1:'),
      Subject: `CN=${certificate.domainName}`,
      Issuer: certificate.issued ? 'Fake Amazon' : undefined,
      CreatedAt: epochSeconds(certificate.createdAt),
      IssuedAt: certificate.type === 'IMPORTED' ? undefined : epochSeconds(certificate.issued?.notBefore),
      ImportedAt: certificate.type === 'IMPORTED' ? epochSeconds(certificate.createdAt) : undefined,
      Status: certificate.status,
      NotBefore: epochSeconds(certificate.issued?.notBefore),
      NotAfter: epochSeconds(certificate.issued?.notAfter),
      KeyAlgorithm: certificate.keyAlgorithm,
      SignatureAlgorithm: certificate.issued ? 'SHA256WITHECDSA' : undefined,
      InUseBy: certificate.inUseBy,
      FailureReason: certificate.failureReason,
      Type: certificate.type,
      RenewalEligibility: certificate.renewalEligibility,
      CertificateAuthorityArn: certificate.certificateAuthorityArn,
      KeyUsages: certificate.issued ? [{ Name: 'DIGITAL_SIGNATURE' }, { Name: 'KEY_ENCIPHERMENT' }] : [],
      ExtendedKeyUsages: certificate.issued
        ? [{ Name: 'TLS_WEB_SERVER_AUTHENTICATION', OID: '1.3.6.1.5.5.7.3.1' }]
        : [],
      Options: { CertificateTransparencyLoggingPreference: 'ENABLED' },
      CertificateKeyPairOrigin: certificate.keyPairOrigin,
      RenewalSummary: certificate.renewalSummary && {
        RenewalStatus: certificate.renewalSummary.status,
        RenewalStatusReason: certificate.renewalSummary.reason,
        DomainValidationOptions: (certificate.renewalSummary.domains ?? []).map(({ domain, status, cname }) => ({
          DomainName: domain,
          ValidationStatus: status,
          ValidationMethod: 'DNS',
          ResourceRecord: cname && { Name: cname[0], Type: 'CNAME', Value: cname[1] },
        })),
        UpdatedAt: epochSeconds(this.mill.at),
      },
    };
  }
}
