import { createHash } from 'node:crypto';
import { issueCertificate } from '../../../lib/x509/factory';
import type { CertificateMill } from './acm-server';
import { AwsFault, epochSeconds, pageOf, type AwsCallContext, type AwsRestService } from './aws-json-server';

/**
 * AWS IoT Core's certificates (restJson1, signing name `iot`) on the fake AWS endpoint, per account × region:
 * `GET /certificates` (ListCertificates) and `GET /cacertificates` (ListCACertificates) with pageSize (1–250,
 * default 25) and marker/nextMarker paging (plain base64, as the API's pattern demands), `GET /certificates/{id}`
 * (DescribeCertificate) and `GET /cacertificate/{id}` (DescribeCACertificate; singular, as the SDK's model has it),
 * ResourceNotFoundException 404. Throttles are ThrottlingException 429 (the developer guide's code; the API
 * reference now says 400: the SDK retries both, by status and by name). Changing a certificate (UpdateCertificate,
 * DeleteCertificate, the CA's) is answered Unauthorized and counted: an inventory has no business calling them.
 */

export type IotCertificateStatus =
  'ACTIVE' | 'INACTIVE' | 'REVOKED' | 'PENDING_TRANSFER' | 'REGISTER_INACTIVE' | 'PENDING_ACTIVATION';

export interface FakeIotCertificate {
  type: 'device' | 'ca';
  accountId: string;
  region: string;
  /** IoT's id of a certificate: the SHA-256 of its DER, which is also its fingerprint. */
  id: string;
  arn: string;
  status: IotCertificateStatus;
  mode: 'DEFAULT' | 'SNI_ONLY';
  pem: string;
  notBefore: Date;
  notAfter: Date;
  creationDate: Date;
  lastModifiedDate: Date;
  customerVersion: number;
  /** A device certificate's registered CA. */
  caCertificateId?: string;
  transfer?: { message: string; to: string };
  /** Describing it answers AccessDeniedException, as after a change to the reader's permissions. */
  denied?: boolean;
}

export interface NewIotDevice {
  accountId: string;
  region: string;
  thingName: string;
  /** @default 'ACTIVE' */
  status?: IotCertificateStatus;
  /** The registered CA that signed it (the mill's CA): recorded as its caCertificateId. */
  ca?: FakeIotCertificate;
  /** @default 365 */
  daysLeft?: number;
}

/** The IoT certificates of every account and region, and the service that serves them. */
export class FakeIot {
  private readonly certificates = new Map<string, FakeIotCertificate>();
  /** Calls that would change a certificate: must stay 0. */
  forbiddenCalls = 0;

  constructor(readonly mill: CertificateMill) {}

  /** A device certificate, signed by the mill's CA (fast: thousands a second). */
  addDevice(spec: NewIotDevice): FakeIotCertificate {
    const issued = this.mill.issue(spec.thingName, 'EC_prime256v1', spec.daysLeft ?? 365);
    return this.put({
      type: 'device',
      accountId: spec.accountId,
      region: spec.region,
      id: issued.fingerprint,
      arn: `arn:aws:iot:${spec.region}:${spec.accountId}:cert/${issued.fingerprint}`,
      status: spec.status ?? 'ACTIVE',
      mode: spec.ca ? 'DEFAULT' : 'SNI_ONLY',
      pem: issued.pem,
      notBefore: issued.notBefore,
      notAfter: issued.notAfter,
      caCertificateId: spec.ca?.id,
    });
  }

  /** The mill's CA registered with IoT in an account and region, or a CA of its own (`commonName`). */
  async addCa(spec: {
    accountId: string;
    region: string;
    status?: 'ACTIVE' | 'INACTIVE';
    commonName?: string;
  }): Promise<FakeIotCertificate> {
    const ca = spec.commonName
      ? await issueCertificate({
          subject: `CN=${spec.commonName}`,
          ca: true,
          notBefore: new Date(this.mill.at.getTime() - 30 * 86_400_000),
          notAfter: new Date(this.mill.at.getTime() + 3650 * 86_400_000),
        })
      : this.mill.ca;
    const id = createHash('sha256').update(ca.der).digest('hex');
    return this.put({
      type: 'ca',
      accountId: spec.accountId,
      region: spec.region,
      id,
      arn: `arn:aws:iot:${spec.region}:${spec.accountId}:cacert/${id}`,
      status: spec.status ?? 'ACTIVE',
      mode: 'DEFAULT',
      pem: ca.pem,
      notBefore: ca.certificate.notBefore,
      notAfter: ca.certificate.notAfter,
    });
  }

  /** What UpdateCertificate does (a revocation, a deactivation): a status change, nothing else. */
  setStatus(certificate: FakeIotCertificate, status: IotCertificateStatus, transfer?: FakeIotCertificate['transfer']) {
    certificate.status = status;
    certificate.transfer = transfer;
    certificate.customerVersion++;
    certificate.lastModifiedDate = new Date(certificate.lastModifiedDate.getTime() + 60_000);
  }

  remove(certificate: FakeIotCertificate): void {
    this.certificates.delete(certificate.arn);
  }

  all(): FakeIotCertificate[] {
    return [...this.certificates.values()];
  }

  readonly service: AwsRestService = {
    signingName: 'iot',
    faults: {
      throttle: { type: 'ThrottlingException', status: 429 },
      internal: 'InternalFailureException',
      unavailable: 'ServiceUnavailableException',
    },
    routes: [
      {
        method: 'GET',
        path: /^\/certificates$/,
        operation: 'ListCertificates',
        handler: ({ query }, context) => this.list('device', query, context),
      },
      {
        method: 'GET',
        path: /^\/cacertificates$/,
        operation: 'ListCACertificates',
        handler: ({ query }, context) => this.list('ca', query, context),
      },
      {
        method: 'GET',
        path: /^\/certificates\/([^/]+)$/,
        operation: 'DescribeCertificate',
        handler: ({ labels: [id] }, context) => ({
          certificateDescription: this.describe(this.find('device', id, context)),
        }),
      },
      {
        method: 'GET',
        path: /^\/cacertificate\/([^/]+)$/,
        operation: 'DescribeCACertificate',
        handler: ({ labels: [id] }, context) => {
          const ca = this.find('ca', id, context);
          return {
            certificateDescription: { ...this.describe(ca), autoRegistrationStatus: 'DISABLE' },
            registrationConfig: {},
          };
        },
      },
      ...(['PUT', 'DELETE'] as const).flatMap((method) => [
        {
          method,
          path: /^\/certificates\/([^/]+)$/,
          operation: `${method} certificate`,
          handler: () => this.forbidden(),
        },
        {
          method,
          path: /^\/cacertificate\/([^/]+)$/,
          operation: `${method} CA certificate`,
          handler: () => this.forbidden(),
        },
      ]),
    ],
  };

  private put(
    certificate: Omit<FakeIotCertificate, 'creationDate' | 'lastModifiedDate' | 'customerVersion'>,
  ): FakeIotCertificate {
    const created = new Date(this.mill.at.getTime() - 5 * 86_400_000);
    const complete = { ...certificate, creationDate: created, lastModifiedDate: created, customerVersion: 1 };
    this.certificates.set(complete.arn, complete);
    return complete;
  }

  private list(type: 'device' | 'ca', query: URLSearchParams, context: AwsCallContext) {
    const pageSize = query.has('pageSize') ? Number(query.get('pageSize')) : 25;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 250) {
      throw new AwsFault('InvalidRequestException', 'pageSize must be between 1 and 250');
    }
    const arns = [...this.certificates.values()]
      .filter((c) => c.type === type && c.accountId === context.accountId && c.region === context.region)
      .map((c) => c.arn)
      .sort();
    const page = pageOf(
      arns,
      (arn) => this.certificates.get(arn)!,
      query.get('marker') ?? undefined,
      pageSize,
      'base64',
    );
    return {
      certificates: page.items.map((c) => ({
        certificateArn: c.arn,
        certificateId: c.id,
        status: c.status,
        // ListCACertificates has no certificateMode.
        certificateMode: type === 'device' ? c.mode : undefined,
        creationDate: epochSeconds(c.creationDate),
      })),
      nextMarker: page.nextToken,
    };
  }

  private describe(certificate: FakeIotCertificate) {
    return {
      certificateArn: certificate.arn,
      certificateId: certificate.id,
      caCertificateId: certificate.caCertificateId,
      status: certificate.status,
      certificatePem: certificate.pem,
      ownedBy: certificate.accountId,
      creationDate: epochSeconds(certificate.creationDate),
      lastModifiedDate: epochSeconds(certificate.lastModifiedDate),
      customerVersion: certificate.customerVersion,
      transferData: certificate.transfer
        ? { transferMessage: certificate.transfer.message, transferDate: epochSeconds(certificate.lastModifiedDate) }
        : undefined,
      generationId: `${certificate.id.slice(0, 8)}-${certificate.customerVersion}`,
      validity: { notBefore: epochSeconds(certificate.notBefore), notAfter: epochSeconds(certificate.notAfter) },
      certificateMode: certificate.mode,
    };
  }

  private forbidden(): never {
    this.forbiddenCalls++;
    throw new AwsFault('UnauthorizedException', 'an inventory must not change a certificate', 401);
  }

  private find(type: 'device' | 'ca', id: string, context: AwsCallContext): FakeIotCertificate {
    const kind = type === 'ca' ? 'cacert' : 'cert';
    const certificate = this.certificates.get(`arn:aws:iot:${context.region}:${context.accountId}:${kind}/${id}`);
    if (!certificate) throw new AwsFault('ResourceNotFoundException', `The certificate ${id} does not exist.`, 404);
    if (certificate.denied) throw new AwsFault('AccessDeniedException', `not authorized on ${certificate.arn}`, 403);
    return certificate;
  }
}
