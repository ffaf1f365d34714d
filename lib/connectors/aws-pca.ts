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
  /** The account this CA is shared with through AWS RAM (the listing account), when another account owns it. */
  sharedWith?: string;
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
    const configured = new Set(this.options.accounts.map((account) => account.accountId));
    for (const ResourceOwner of ['SELF', 'OTHER_ACCOUNTS'] as const) {
      const pages = paginateListCertificateAuthorities(
        { client, pageSize: this.options.pageSize ?? 1000 },
        { ResourceOwner },
        { abortSignal: signal },
      );
      for await (const page of pages) {
        for (const authority of page.CertificateAuthorities ?? []) {
          if (!authority.Arn) continue;
          const owner = ownerAccountOf(authority);
          // A CA shared with this account from one the source also lists is that account's place.
          if (ResourceOwner === 'OTHER_ACCOUNTS' && owner !== undefined && configured.has(owner)) continue;
          yield {
            nativeId: authority.Arn,
            scope: scope.id,
            role: 'leaf',
            summaryHash: summaryHashOf(authority),
            refreshHours: this.options.fullRefreshHours ?? 24,
            load: () => this.load(scope, authority, ResourceOwner === 'OTHER_ACCOUNTS'),
          };
        }
      }
    }
  }

  /**
   * The detail calls. A CA shared through AWS RAM answers GetCertificateAuthorityCertificate to the accounts it
   * is shared with, but its tags are its owner's to read: its owner is the source's default owner.
   */
  private async load(scope: AwsScope, authority: CertificateAuthority, shared: boolean): Promise<LoadedEntry> {
    const client = this.options.clients.client(
      'acm-pca',
      scope.account,
      scope.region,
      (config) => new ACMPCAClient(config),
    );
    const limit = this.limitOf(scope);
    const CertificateAuthorityArn = authority.Arn!;
    const [tags, body] = await Promise.all([
      shared
        ? {}
        : limit(async () => {
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
    if (!body || 'absent' in body) return { certificate: null, metadata };
    if ('error' in body)
      return { certificate: null, metadata, readFailed: true, error: `${CertificateAuthorityArn}: ${body.error}` };
    if (!body.Certificate) return { certificate: null, metadata };
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
    const owner = ownerAccountOf(authority);
    return {
      owner: resolveOwner(tags, this.options),
      tags,
      account: owner ?? scope.account.accountId,
      region: scope.region,
      providerStatus: authority.Status,
      // A CA that failed to be created is a fact about the place for a person to fix, not an error of the sync.
      problem:
        authority.Status === 'FAILED'
          ? `CA creation FAILED${authority.FailureReason ? ` (${authority.FailureReason})` : ''}`
          : undefined,
      // Nobody renews a CA's certificate for you: a root is re-signed, a subordinate's parent signs a new CSR.
      managed: false,
      renewal: 'manual',
      details: {
        caType: authority.Type,
        keyAlgorithm: configuration?.KeyAlgorithm,
        signingAlgorithm: configuration?.SigningAlgorithm,
        usageMode: authority.UsageMode,
        sharedWith: owner !== undefined && owner !== scope.account.accountId ? scope.account.accountId : undefined,
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
 * since the listing) is inventoried without one; other client errors are the place's error, a read that failed (a
 * place that held a certificate keeps it, marked stale); throttling and
 * 5xx that outlived the SDK's retries reject the load so the next sync tries again.
 */
function certificateFailure(error: unknown): { absent: true } | { error: string } {
  if (isTransientAwsError(error)) throw error;
  const name = (error as Error).name;
  if (name === 'InvalidStateException' || name === 'RequestInProgressException') return { absent: true };
  return { error: `GetCertificateAuthorityCertificate: ${describeAwsError(error)}` };
}

/** The account that owns a CA: its OwnerAccount, else the account field of its ARN. */
function ownerAccountOf(authority: CertificateAuthority): string | undefined {
  return authority.OwnerAccount ?? authority.Arn?.split(':')[4];
}
