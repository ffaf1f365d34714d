import {
  GetServerCertificateCommand,
  IAMClient,
  paginateListServerCertificates,
  type ServerCertificateMetadata,
} from '@aws-sdk/client-iam';
import { resolveOwner } from '../domain/owner';
import type { CertificateSource, LoadedEntry, LocationMetadata, SourceEntry } from '../ports/certificate-source';
import {
  entryFromPem,
  placeFailure,
  summaryHashOf,
  tagsOf,
  AwsScopedSource,
  type AwsAccountSourceOptions,
  type AwsScope,
} from './aws-clients';

/** IAM's own extras on a server certificate's place, beyond the common metadata. */
export interface AwsIamDetails {
  serverCertificateName?: string;
  /** The path the certificate was uploaded under (`/cloudfront/` for CloudFront's). */
  path?: string;
  serverCertificateId?: string;
  uploadDate?: string;
}

export type AwsIamMetadata = LocationMetadata & { details: AwsIamDetails };

export interface AwsIamSourceOptions extends AwsAccountSourceOptions {
  /**
   * The region IAM is called in: IAM is global, one endpoint per partition, so any region of the partition
   * reaches it (`us-gov-west-1` in GovCloud, `cn-north-1` in China). @default 'us-east-1'
   */
  region?: string;
  /** GetServerCertificate calls in flight at once per account. @default 4 */
  concurrency?: number;
}

/**
 * IAM server certificates, still served by CloudFront and Classic Load Balancers, in many accounts: each account
 * is one scope (`<accountId>`), since IAM is global. The listing (ListServerCertificates) gives each
 * certificate's name, path, id and dates; GetServerCertificate, run only for new or changed certificates and on
 * the periodic re-check (tags are not in the listing), gives the body and tags in one call. Its chain is not
 * inventoried, as for ACM. The private key cannot be read back from IAM at all.
 */
export class AwsIamSource extends AwsScopedSource<AwsIamSourceOptions> implements CertificateSource {
  readonly kind = 'aws-iam' as const;

  constructor(options: AwsIamSourceOptions) {
    super(options, {
      operation: 'ListServerCertificates',
      defaultConcurrency: 4,
      globalRegion: options.region ?? 'us-east-1',
    });
  }

  protected async *listScope(scope: AwsScope, signal?: AbortSignal): AsyncGenerator<SourceEntry> {
    const pages = paginateListServerCertificates(
      { client: this.clientOf(scope), pageSize: this.options.pageSize ?? 1000 },
      {},
      { abortSignal: signal },
    );
    for await (const page of pages) {
      for (const summary of page.ServerCertificateMetadataList ?? []) {
        if (!summary.Arn) continue;
        yield {
          nativeId: summary.Arn,
          scope: scope.id,
          role: 'leaf',
          summaryHash: summaryHashOf(summary),
          refreshHours: this.options.fullRefreshHours ?? 24,
          load: () => this.load(scope, summary),
        };
      }
    }
  }

  private clientOf(scope: AwsScope): IAMClient {
    return this.options.clients.client('iam', scope.account, scope.region, (config) => new IAMClient(config));
  }

  private async load(scope: AwsScope, summary: ServerCertificateMetadata): Promise<LoadedEntry> {
    const arn = summary.Arn!;
    const ServerCertificateName = summary.ServerCertificateName;
    const answer = await this.limitOf(scope)(() =>
      this.clientOf(scope).send(new GetServerCertificateCommand({ ServerCertificateName })),
    ).catch(placeFailure('GetServerCertificate'));
    if ('error' in answer) {
      const metadata = this.metadata(scope, summary, {});
      return { certificate: null, metadata, readFailed: true, error: `${arn}: ${answer.error}` };
    }
    const served = answer.ServerCertificate;
    const metadata = this.metadata(scope, served?.ServerCertificateMetadata ?? summary, tagsOf(served?.Tags));
    if (!served?.CertificateBody) return { certificate: null, metadata, error: `${arn}: IAM returned no body` };
    return entryFromPem(served.CertificateBody, arn, metadata);
  }

  private metadata(scope: AwsScope, summary: ServerCertificateMetadata, tags: Record<string, string>): AwsIamMetadata {
    return {
      owner: resolveOwner(tags, this.options),
      tags,
      account: scope.account.accountId,
      // Nobody renews an uploaded certificate: a new one is uploaded and the distribution or listener switched.
      managed: false,
      renewal: 'manual',
      details: {
        serverCertificateName: summary.ServerCertificateName,
        path: summary.Path,
        serverCertificateId: summary.ServerCertificateId,
        uploadDate: summary.UploadDate?.toISOString(),
      },
    };
  }
}
