import { randomBytes } from 'node:crypto';
import type { CertificateMill, IssuedBody } from './acm-server';
import { AwsFault, escapeXml, pageOf, type AwsCallContext, type AwsQueryService } from './aws-json-server';

/**
 * IAM's server certificates (awsQuery, version 2010-05-08) on the fake AWS endpoint, per account (IAM is global):
 * ListServerCertificates (PathPrefix, Marker/MaxItems paging with IsTruncated), GetServerCertificate (body, chain,
 * tags; NoSuchEntity 404), throttled as IAM does (`Throttling`, 400), and UploadServerCertificate /
 * DeleteServerCertificate answered AccessDenied and counted, since an inventory has no business calling them.
 */

export interface FakeServerCertificate {
  accountId: string;
  name: string;
  /** `/` or `/cloudfront/…/`. */
  path: string;
  id: string;
  arn: string;
  uploadDate: Date;
  tags: Record<string, string>;
  body: IssuedBody;
  /** GetServerCertificate answers AccessDenied, as after a change to the reader's permissions. */
  denied?: boolean;
}

export interface NewServerCertificate {
  accountId: string;
  name: string;
  /** @default '/' */
  path?: string;
  tags?: Record<string, string>;
  /** @default 90 */
  daysLeft?: number;
}

/** The server certificates of every account, and the service that serves them. */
export class FakeIam {
  private readonly certificates = new Map<string, FakeServerCertificate>();
  /** Calls that would change IAM: must stay 0. */
  forbiddenCalls = 0;

  constructor(readonly mill: CertificateMill) {}

  add(spec: NewServerCertificate): FakeServerCertificate {
    const path = spec.path ?? '/';
    const certificate: FakeServerCertificate = {
      accountId: spec.accountId,
      name: spec.name,
      path,
      id: `ASCA${randomBytes(9).toString('hex').toUpperCase().slice(0, 17)}`,
      arn: `arn:aws:iam::${spec.accountId}:server-certificate${path}${spec.name}`,
      uploadDate: new Date(this.mill.at.getTime() - 10 * 86_400_000),
      tags: spec.tags ?? {},
      body: this.mill.issue(`${spec.name}.example.com`, 'RSA_2048', spec.daysLeft ?? 90),
    };
    this.certificates.set(keyOf(spec.accountId, spec.name), certificate);
    return certificate;
  }

  remove(certificate: FakeServerCertificate): void {
    this.certificates.delete(keyOf(certificate.accountId, certificate.name));
  }

  all(): FakeServerCertificate[] {
    return [...this.certificates.values()];
  }

  readonly service: AwsQueryService = {
    signingName: 'iam',
    version: '2010-05-08',
    xmlns: 'https://iam.amazonaws.com/doc/2010-05-08/',
    faults: {
      throttle: { type: 'Throttling', status: 400 },
      internal: 'ServiceFailure',
      unavailable: 'ServiceUnavailable',
    },
    operations: {
      ListServerCertificates: (params, context) => {
        const maxItems = params.MaxItems === undefined ? 100 : Number(params.MaxItems);
        if (!Number.isInteger(maxItems) || maxItems < 1 || maxItems > 1000) {
          throw new AwsFault('ValidationError', 'MaxItems must be between 1 and 1000');
        }
        const prefix = params.PathPrefix ?? '/';
        const keys = [...this.certificates.values()]
          .filter((certificate) => certificate.accountId === context.accountId && certificate.path.startsWith(prefix))
          .map((certificate) => keyOf(certificate.accountId, certificate.name))
          .sort();
        const page = pageOf(keys, (key) => this.certificates.get(key)!, params.Marker, maxItems, 'base64');
        return (
          `<IsTruncated>${page.nextToken !== undefined}</IsTruncated>` +
          `<ServerCertificateMetadataList>${page.items.map((c) => `<member>${metadataXml(c)}</member>`).join('')}` +
          `</ServerCertificateMetadataList>${page.nextToken ? `<Marker>${page.nextToken}</Marker>` : ''}`
        );
      },
      GetServerCertificate: (params, context) => {
        const certificate = this.find(params.ServerCertificateName, context);
        if (certificate.denied) throw new AwsFault('AccessDenied', `not authorized on ${certificate.arn}`, 403);
        const tags = Object.entries(certificate.tags)
          .map(([key, value]) => `<member><Key>${escapeXml(key)}</Key><Value>${escapeXml(value)}</Value></member>`)
          .join('');
        return (
          `<ServerCertificate><ServerCertificateMetadata>${metadataXml(certificate)}</ServerCertificateMetadata>` +
          `<CertificateBody>${certificate.body.pem}</CertificateBody>` +
          `<CertificateChain>${certificate.body.chainPem}</CertificateChain><Tags>${tags}</Tags></ServerCertificate>`
        );
      },
      UploadServerCertificate: () => this.forbidden(),
      DeleteServerCertificate: () => this.forbidden(),
    },
  };

  private forbidden(): never {
    this.forbiddenCalls++;
    throw new AwsFault('AccessDenied', 'an inventory must not change IAM', 403);
  }

  private find(name: string | undefined, context: AwsCallContext): FakeServerCertificate {
    const certificate = name === undefined ? undefined : this.certificates.get(keyOf(context.accountId, name));
    if (!certificate) {
      throw new AwsFault('NoSuchEntity', `The Server Certificate with name ${name} cannot be found.`, 404);
    }
    return certificate;
  }
}

const keyOf = (accountId: string, name: string) => `${accountId}/${name}`;

function metadataXml(certificate: FakeServerCertificate): string {
  return (
    `<Path>${escapeXml(certificate.path)}</Path><ServerCertificateName>${escapeXml(certificate.name)}</ServerCertificateName>` +
    `<ServerCertificateId>${certificate.id}</ServerCertificateId><Arn>${escapeXml(certificate.arn)}</Arn>` +
    `<UploadDate>${certificate.uploadDate.toISOString()}</UploadDate>` +
    `<Expiration>${certificate.body.notAfter.toISOString()}</Expiration>`
  );
}
