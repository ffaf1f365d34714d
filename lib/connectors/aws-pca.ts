import {
  ACMPCAClient,
  GetCertificateAuthorityCertificateCommand,
  paginateListCertificateAuthorities,
  paginateListTags,
  type CertificateAuthority,
  type Tag,
} from '@aws-sdk/client-acm-pca';
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

/** States in which a CA has no certificate to fetch: it is inventoried from its description alone. */
const WITHOUT_CERTIFICATE = new Set(['CREATING', 'PENDING_CERTIFICATE', 'FAILED']);

/** ACM Private CA's own extras on a place, beyond the common metadata. */
export interface AwsPcaDetails {
  /** ROOT or SUBORDINATE. */
  caType?: string;
  keyAlgorithm?: string;
  signingAlgorithm?: string;
  /** GENERAL_PURPOSE or SHORT_LIVED_CERTIFICATE. */
  usageMode?: string;
  /** Whether the CA publishes a CRL, and where. */
  crlEnabled: boolean;
  crlExpirationInDays?: number;
  crlS3Bucket?: string;
  crlCustomCname?: string;
  /** Whether ACM PCA answers OCSP for the CA's certificates. */
  ocspEnabled: boolean;
  ocspCustomCname?: string;
  failureReason?: string;
  /** A deleted CA can be restored until then. */
  restorableUntil?: string;
}

export type AwsPcaMetadata = LocationMetadata & { details: AwsPcaDetails };

export interface AwsPcaSourceOptions extends AwsSourceOptions {
  /** Detail calls (GetCertificateAuthorityCertificate, ListTags) in flight at once per account × region. @default 4 */
  concurrency?: number;
}

/**
 * The certificate authorities of ACM Private CA in many accounts and regions: each CA is a place whose leaf is
 * the CA's own certificate (a CA's expiry breaks everything it issued). Its status, revocation configuration
 * (CRL, OCSP) and tags come along; a CA still waiting for its certificate is inventoried without one. The
 * listing describes each CA fully, so the detail calls run only for new or changed CAs.
 */
export class AwsPcaSource extends AwsScopedSource<AwsPcaSourceOptions> implements CertificateSource {
  readonly kind = 'aws-pca' as const;

  constructor(options: AwsPcaSourceOptions) {
    super(options, { operation: 'ListCertificateAuthorities', defaultConcurrency: 4 });
  }

  protected async *listScope(scope: AwsScope, signal?: AbortSignal): AsyncGenerator<SourceEntry> {
    const client = this.options.clients.client(
      'acm-pca',
      scope.account,
      scope.region,
      (config) => new ACMPCAClient(config),
    );
    const pages = paginateListCertificateAuthorities(
      { client, pageSize: this.options.pageSize ?? 1000 },
      {},
      { abortSignal: signal },
    );
    for await (const page of pages) {
      for (const authority of page.CertificateAuthorities ?? []) {
        if (!authority.Arn) continue;
        yield {
          nativeId: authority.Arn,
          scope: scope.id,
          role: 'leaf',
          summaryHash: summaryHashOf(authority),
          refreshHours: this.options.fullRefreshHours ?? 24,
          load: () => this.load(scope, authority),
        };
      }
    }
  }

  private async load(scope: AwsScope, authority: CertificateAuthority): Promise<LoadedEntry> {
    const client = this.options.clients.client(
      'acm-pca',
      scope.account,
      scope.region,
      (config) => new ACMPCAClient(config),
    );
    const limit = this.limitOf(scope);
    const CertificateAuthorityArn = authority.Arn!;
    const [tags, body] = await Promise.all([
      limit(async () => {
        const tags: Tag[] = [];
        for await (const page of paginateListTags({ client }, { CertificateAuthorityArn }))
          tags.push(...(page.Tags ?? []));
        return tagsOf(tags);
      }),
      WITHOUT_CERTIFICATE.has(authority.Status ?? '')
        ? undefined
        : limit(() => client.send(new GetCertificateAuthorityCertificateCommand({ CertificateAuthorityArn }))).catch(
            certificateFailure,
          ),
    ]);
    const metadata = this.metadata(scope, authority, tags);
    const problem =
      authority.Status === 'FAILED'
        ? `${CertificateAuthorityArn}: CA creation FAILED${authority.FailureReason ? ` (${authority.FailureReason})` : ''}`
        : undefined;
    if (!body || 'absent' in body) return { certificate: null, metadata, error: problem };
    if ('error' in body) return { certificate: null, metadata, error: `${CertificateAuthorityArn}: ${body.error}` };
    if (!body.Certificate) return { certificate: null, metadata, error: problem };
    try {
      const [certificate] = parseCertificates(body.Certificate, CertificateAuthorityArn).certificates;
      return { certificate, metadata };
    } catch (error) {
      if (!(error instanceof CertificateParseError)) throw error;
      return { certificate: null, metadata, error: error.message };
    }
  }

  private metadata(scope: AwsScope, authority: CertificateAuthority, tags: Record<string, string>): AwsPcaMetadata {
    const configuration = authority.CertificateAuthorityConfiguration;
    const crl = authority.RevocationConfiguration?.CrlConfiguration;
    const ocsp = authority.RevocationConfiguration?.OcspConfiguration;
    return {
      owner: resolveOwner(tags, this.options),
      tags,
      account: scope.account.accountId,
      region: scope.region,
      providerStatus: authority.Status,
      // Nobody renews a CA's certificate for you: a root is re-signed, a subordinate's parent signs a new CSR.
      managed: false,
      renewal: 'manual',
      details: {
        caType: authority.Type,
        keyAlgorithm: configuration?.KeyAlgorithm,
        signingAlgorithm: configuration?.SigningAlgorithm,
        usageMode: authority.UsageMode,
        crlEnabled: crl?.Enabled === true,
        crlExpirationInDays: crl?.Enabled ? crl.ExpirationInDays : undefined,
        crlS3Bucket: crl?.Enabled ? crl.S3BucketName : undefined,
        crlCustomCname: crl?.Enabled ? crl.CustomCname : undefined,
        ocspEnabled: ocsp?.Enabled === true,
        ocspCustomCname: ocsp?.Enabled ? ocsp.OcspCustomCname : undefined,
        failureReason: authority.FailureReason,
        restorableUntil: authority.RestorableUntil?.toISOString(),
      },
    };
  }
}

/**
 * A CA that has no certificate after all (InvalidStateException, RequestInProgressException: its state moved
 * since the listing) is inventoried without one; other client errors are kept on the place; throttling and
 * 5xx that outlived the SDK's retries reject the load so the next sync tries again.
 */
function certificateFailure(error: unknown): { absent: true } | { error: string } {
  if (isTransientAwsError(error)) throw error;
  const name = (error as Error).name;
  if (name === 'InvalidStateException' || name === 'RequestInProgressException') return { absent: true };
  return { error: `GetCertificateAuthorityCertificate: ${describeAwsError(error)}` };
}
