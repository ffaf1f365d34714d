import {
  ACMClient,
  CertificateKeyPairOrigin,
  DescribeCertificateCommand,
  GetCertificateCommand,
  KeyAlgorithm,
  ListTagsForCertificateCommand,
  paginateListCertificates,
  type CertificateDetail,
  type CertificateSummary,
} from '@aws-sdk/client-acm';
import { CertificateParseError } from '../domain/errors';
import { resolveOwner } from '../domain/owner';
import type { CertificateSource, LoadedEntry, LocationMetadata, SourceEntry } from '../ports/certificate-source';
import { parseCertificates } from '../x509/parse';
import {
  describeAwsError,
  isTransientAwsError,
  summaryHashOf,
  tagsOf,
  AwsScopedSource,
  type AwsSourceOptions,
  type AwsScope,
} from './aws-clients';

/**
 * Every key type ACM knows. ListCertificates without `Includes.keyTypes` returns only RSA_1024 and RSA_2048
 * certificates, so every EC and larger RSA certificate would be missing from the inventory.
 */
export const ACM_KEY_TYPES: KeyAlgorithm[] = Object.values(KeyAlgorithm);

/** Every key pair origin. Without the filter ACM leaves out certificates whose keys came from ACME. */
export const ACM_KEY_PAIR_ORIGINS: CertificateKeyPairOrigin[] = Object.values(CertificateKeyPairOrigin);

/** Statuses in which ACM holds a certificate body; in the others GetCertificate can only fail. */
const STATUSES_WITH_BODY = new Set(['ISSUED', 'INACTIVE', 'EXPIRED', 'REVOKED']);

/** ACM's own extras on a place, beyond the common metadata. */
export interface AwsAcmDetails {
  /** AMAZON_ISSUED, IMPORTED or PRIVATE. */
  type?: string;
  keyAlgorithm?: string;
  /** ELIGIBLE when ACM will renew it (an Amazon-issued certificate must be in use for that). */
  renewalEligibility?: string;
  /** PENDING_AUTO_RENEWAL, PENDING_VALIDATION, SUCCESS or FAILED, when a managed renewal has started. */
  renewalStatus?: string;
  /** Why issuance or renewal failed. */
  failureReason?: string;
  /** The private CA that issued a PRIVATE certificate. */
  certificateAuthorityArn?: string;
}

export type AwsAcmMetadata = LocationMetadata & { details: AwsAcmDetails };

export interface AwsAcmSourceOptions extends AwsSourceOptions {
  /**
   * Detail calls (DescribeCertificate, GetCertificate, ListTagsForCertificate) in flight at once per
   * account × region. The pace is the token buckets' (10 per second each for these three, PUBLISHED_RATES):
   * this only bounds what waits, and must cover the calls sitting out a throttle's back-off, or those hold
   * the quota's unused seconds hostage.
   * @default 16
   */
  concurrency?: number;
}

/**
 * AWS Certificate Manager in many accounts and regions. The listing (ListCertificates pages with every key
 * type) gives each certificate's summary; the detail calls run only for certificates that are new, whose
 * summary changed, or whose periodic re-check is due (lib/domain/refresh.ts), so a resync of unchanged certificates costs the list pages
 * only. The private key is never asked for (no ExportCertificate).
 */
export class AwsAcmSource extends AwsScopedSource<AwsAcmSourceOptions> implements CertificateSource {
  readonly kind = 'aws-acm' as const;

  constructor(options: AwsAcmSourceOptions) {
    super(options, { operation: 'ListCertificates', defaultConcurrency: 16 });
  }

  protected async *listScope(scope: AwsScope, signal?: AbortSignal): AsyncGenerator<SourceEntry> {
    const client = this.options.clients.client('acm', scope.account, scope.region, (config) => new ACMClient(config));
    const pages = paginateListCertificates(
      { client, pageSize: this.options.pageSize ?? 1000 },
      { Includes: { keyTypes: ACM_KEY_TYPES }, CertificateKeyPairOrigins: ACM_KEY_PAIR_ORIGINS },
      { abortSignal: signal },
    );
    for await (const page of pages) {
      for (const summary of page.CertificateSummaryList ?? []) {
        if (summary.CertificateArn) yield this.entry(scope, summary);
      }
    }
  }

  private entry(scope: AwsScope, summary: CertificateSummary): SourceEntry {
    return {
      nativeId: summary.CertificateArn!,
      scope: scope.id,
      role: 'leaf',
      summaryHash: summaryHashOf(summary),
      refreshHours: this.options.fullRefreshHours ?? 24,
      load: () => this.load(scope, summary),
    };
  }

  /** The detail calls: description (InUseBy, renewal), tags (owner) and, when ACM has one, the certificate. */
  private async load(scope: AwsScope, summary: CertificateSummary): Promise<LoadedEntry> {
    const client = this.options.clients.client('acm', scope.account, scope.region, (config) => new ACMClient(config));
    const limit = this.limitOf(scope);
    const CertificateArn = summary.CertificateArn!;
    const [described, tagged, body] = await Promise.all([
      limit(() => client.send(new DescribeCertificateCommand({ CertificateArn }))),
      limit(() => client.send(new ListTagsForCertificateCommand({ CertificateArn }))),
      STATUSES_WITH_BODY.has(summary.Status ?? '')
        ? limit(() => client.send(new GetCertificateCommand({ CertificateArn }))).catch(bodyFailure)
        : undefined,
    ]);
    const detail = described.Certificate ?? {};
    const metadata = this.metadata(scope, summary, detail, tagsOf(tagged.Tags));
    if (!body) return { certificate: null, metadata };
    if ('error' in body)
      return { certificate: null, metadata, readFailed: true, error: `${CertificateArn}: ${body.error}` };
    if ('pending' in body || !body.Certificate) return { certificate: null, metadata };
    try {
      const [certificate] = parseCertificates(body.Certificate, CertificateArn).certificates;
      return { certificate, metadata };
    } catch (error) {
      if (!(error instanceof CertificateParseError)) throw error;
      return { certificate: null, metadata, error: error.message };
    }
  }

  private metadata(
    scope: AwsScope,
    summary: CertificateSummary,
    detail: CertificateDetail,
    tags: Record<string, string>,
  ): AwsAcmMetadata {
    const type = detail.Type ?? summary.Type;
    const eligibility = detail.RenewalEligibility ?? summary.RenewalEligibility;
    return {
      owner: resolveOwner(tags, this.options),
      tags,
      account: scope.account.accountId,
      region: scope.region,
      providerStatus: detail.Status ?? summary.Status,
      // ACM renews what it issued, public or private, but an Amazon-issued certificate only while it is in
      // use (eligible); an imported one never.
      managed: type !== undefined && type !== 'IMPORTED' && eligibility !== 'INELIGIBLE',
      inUseBy: detail.InUseBy ? [...detail.InUseBy].sort() : undefined,
      renewal: type === 'AMAZON_ISSUED' ? 'acm-managed' : type === 'PRIVATE' ? 'acm-private-ca' : 'manual',
      problem: problemOf(summary, detail),
      details: {
        type,
        keyAlgorithm: detail.KeyAlgorithm ?? summary.KeyAlgorithm,
        renewalEligibility: eligibility,
        renewalStatus: detail.RenewalSummary?.RenewalStatus,
        failureReason: detail.FailureReason ?? detail.RenewalSummary?.RenewalStatusReason,
        certificateAuthorityArn: detail.CertificateAuthorityArn,
      },
    };
  }
}

/**
 * GetCertificate's refusals: RequestInProgressException means ACM has no body yet (issuance pending); other client
 * errors (access denied) are the place's error, a read that failed (a place that held a certificate keeps it,
 * marked stale). Throttling and 5xx that outlived the SDK's retries reject the load, so the place is retried on the
 * next sync.
 */
function bodyFailure(error: unknown): { pending: true } | { error: string } {
  if (isTransientAwsError(error)) throw error;
  if ((error as Error).name === 'RequestInProgressException') return { pending: true };
  return { error: `GetCertificate: ${describeAwsError(error)}` };
}

/**
 * What a person must fix: an issuance that failed or timed out, or a managed renewal that failed (the certificate
 * then expires where it is). A pending issuance or renewal is no problem, only not done yet.
 */
function problemOf(summary: CertificateSummary, detail: CertificateDetail): string | undefined {
  const status = detail.Status ?? summary.Status;
  if (status === 'FAILED' || status === 'VALIDATION_TIMED_OUT') {
    return `issuance ${status}${detail.FailureReason ? ` (${detail.FailureReason})` : ''}`;
  }
  const renewal = detail.RenewalSummary;
  if (renewal?.RenewalStatus === 'FAILED') {
    return `managed renewal FAILED${renewal.RenewalStatusReason ? ` (${renewal.RenewalStatusReason})` : ''}`;
  }
  return undefined;
}
