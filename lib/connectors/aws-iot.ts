import {
  DescribeCACertificateCommand,
  DescribeCertificateCommand,
  IoTClient,
  paginateListCACertificates,
  paginateListCertificates,
  type CACertificate,
  type CACertificateDescription,
  type Certificate,
  type CertificateDescription,
} from '@aws-sdk/client-iot';
import { resolveOwner } from '../domain/owner';
import type { CertificateSource, LoadedEntry, LocationMetadata, SourceEntry } from '../ports/certificate-source';
import {
  entryFromPem,
  placeFailure,
  summaryHashOf,
  AwsScopedSource,
  type AwsScope,
  type AwsSourceOptions,
} from './aws-clients';

/** IoT Core's largest page (pageSize 1 to 250) for both listings. */
const IOT_MAX_PAGE_SIZE = 250;

/** AWS IoT Core's own extras on a certificate's place, beyond the common metadata. */
export interface AwsIotDetails {
  /** `device` (ListCertificates) or `ca` (a CA certificate registered with IoT, ListCACertificates). */
  certificateType: 'device' | 'ca';
  certificateId?: string;
  /** DEFAULT, or SNI_ONLY for a certificate registered without its CA. */
  certificateMode?: string;
  /** The CA certificate that signed a device certificate, when registered with IoT. */
  caCertificateId?: string;
  /** The account that owns it; while PENDING_TRANSFER, the one it is being transferred from is `previousOwnedBy`. */
  ownedBy?: string;
  previousOwnedBy?: string;
  /** Why a transfer was asked for or rejected. */
  transferMessage?: string;
  rejectReason?: string;
  /** A CA's ENABLE or DISABLE of just-in-time registration of the device certificates it signed. */
  autoRegistrationStatus?: string;
  creationDate?: string;
  lastModifiedDate?: string;
}

export type AwsIotMetadata = LocationMetadata & { details: AwsIotDetails };

/** What is known of a certificate: its listing, and its description once loaded. */
type DescribedOrListed = Partial<Omit<CertificateDescription, 'status'>> &
  Pick<CACertificateDescription, 'autoRegistrationStatus'> & { status?: string };

export interface AwsIotSourceOptions extends AwsSourceOptions {
  /**
   * DescribeCertificate / DescribeCACertificate calls in flight at once per account × region. The pace is the
   * token buckets' (10 per second, PUBLISHED_RATES); this bounds what waits, and must cover the calls sitting out
   * a throttle's back-off. @default 16
   */
  concurrency?: number;
}

/**
 * AWS IoT Core's device certificates, and the CA certificates registered with it, in many accounts and regions:
 * fleets of tens of thousands per region. Every status is a fact about the place, inventoried as
 * `providerStatus` (ACTIVE, INACTIVE, REVOKED, PENDING_TRANSFER, REGISTER_INACTIVE, PENDING_ACTIVATION): a revoked
 * device certificate is not an error. The listings give each certificate's id, ARN, status, mode and creation date;
 * the body takes a Describe call, run only for new certificates and for those whose listing changed (a status
 * change). A certificate's id is its SHA-256, so its body never changes, and IoT certificates carry no tags: with
 * nothing the listing could miss, an unchanged certificate is never described again (no periodic re-check).
 */
export class AwsIotSource extends AwsScopedSource<AwsIotSourceOptions> implements CertificateSource {
  readonly kind = 'aws-iot' as const;

  constructor(options: AwsIotSourceOptions) {
    super(options, { operation: 'ListCACertificates/ListCertificates', defaultConcurrency: 16 });
  }

  protected async *listScope(scope: AwsScope, signal?: AbortSignal): AsyncGenerator<SourceEntry> {
    const pagination = {
      client: this.clientOf(scope),
      pageSize: Math.min(this.options.pageSize ?? IOT_MAX_PAGE_SIZE, IOT_MAX_PAGE_SIZE),
    };
    for await (const page of paginateListCACertificates(pagination, {}, { abortSignal: signal })) {
      for (const listed of page.certificates ?? []) {
        if (listed.certificateArn && listed.certificateId) yield this.entry(scope, listed, 'ca');
      }
    }
    for await (const page of paginateListCertificates(pagination, {}, { abortSignal: signal })) {
      for (const listed of page.certificates ?? []) {
        if (listed.certificateArn && listed.certificateId) yield this.entry(scope, listed, 'device');
      }
    }
  }

  private entry(scope: AwsScope, listed: Certificate | CACertificate, type: 'device' | 'ca'): SourceEntry {
    return {
      nativeId: listed.certificateArn!,
      scope: scope.id,
      role: 'leaf',
      summaryHash: summaryHashOf(listed),
      load: () => this.load(scope, listed, type),
    };
  }

  private clientOf(scope: AwsScope): IoTClient {
    return this.options.clients.client('iot', scope.account, scope.region, (config) => new IoTClient(config));
  }

  private async load(
    scope: AwsScope,
    listed: Certificate | CACertificate,
    type: 'device' | 'ca',
  ): Promise<LoadedEntry> {
    const arn = listed.certificateArn!;
    const certificateId = listed.certificateId!;
    const client = this.clientOf(scope);
    const described = await this.limitOf(scope)(async () =>
      type === 'ca'
        ? (await client.send(new DescribeCACertificateCommand({ certificateId }))).certificateDescription
        : (await client.send(new DescribeCertificateCommand({ certificateId }))).certificateDescription,
    ).catch(placeFailure(type === 'ca' ? 'DescribeCACertificate' : 'DescribeCertificate'));
    if (described && 'error' in described) {
      const metadata = this.metadata(scope, listed, type);
      return { certificate: null, metadata, readFailed: true, error: `${arn}: ${described.error}` };
    }
    const metadata = this.metadata(scope, { ...listed, ...described }, type);
    if (!described?.certificatePem)
      return { certificate: null, metadata, error: `${arn}: IoT returned no certificate` };
    return entryFromPem(described.certificatePem, arn, metadata);
  }

  private metadata(scope: AwsScope, known: DescribedOrListed, type: 'device' | 'ca'): AwsIotMetadata {
    return {
      owner: resolveOwner({}, this.options),
      tags: {},
      account: scope.account.accountId,
      region: scope.region,
      providerStatus: known.status,
      // A device certificate is replaced by provisioning a new one and attaching it to the thing; nobody renews it.
      managed: false,
      renewal: 'manual',
      details: {
        certificateType: type,
        certificateId: known.certificateId,
        certificateMode: known.certificateMode,
        caCertificateId: known.caCertificateId,
        ownedBy: known.ownedBy,
        previousOwnedBy: known.previousOwnedBy,
        transferMessage: known.transferData?.transferMessage,
        rejectReason: known.transferData?.rejectReason,
        autoRegistrationStatus: known.autoRegistrationStatus,
        creationDate: known.creationDate?.toISOString(),
        lastModifiedDate: known.lastModifiedDate?.toISOString(),
      },
    };
  }
}
