import 'reflect-metadata';
import { createHash, webcrypto } from 'node:crypto';
import {
  ACMClient,
  DescribeCertificateCommand,
  GetCertificateCommand,
  ImportCertificateCommand,
  RenewCertificateCommand,
  type CertificateDetail,
} from '@aws-sdk/client-acm';
import type { ACMPCAClient } from '@aws-sdk/client-acm-pca';
import * as x509 from '@peculiar/x509';
import type { RenewalSettings } from '../domain/renewal';
import type { CertificateRenewer, RenewalOutcome, RenewalRequest } from '../ports/certificate-renewer';
import type { StoredLocation } from '../ports/inventory-store';
import { privateKeyPemBytes } from '../x509/factory';
import { readIssuingAuthorities } from './aws-pca-authorities';
import { describeAwsError, type AwsAccount, type AwsClients } from './aws-clients';
import { pollUntil, type PollResult, type PollSettings } from './renewal-poll';

/**
 * The Private CA SDK, an optional package, loaded only to re-issue a certificate one of `issuingCertificateAuthorities`
 * issued: an app that renews Amazon-issued certificates alone need not install it (renewerPackagesOf).
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const privateCaSdk = () => require('@aws-sdk/client-acm-pca') as typeof import('@aws-sdk/client-acm-pca');

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export interface AwsAcmRenewerOptions {
  clients: AwsClients;
  /** The source's accounts: a place's account is reached as the sync reaches it (its role, or the caller's own). */
  accounts?: AwsAccount[];
  /**
   * ARNs of the ACM Private CAs whose imported certificates certwarden re-issues (method `pca-reissue`): a place
   * whose certificate's issuer is one of these CAs' subjects gets a new key and certificate at the same ARN.
   * @default none
   */
  issuingCertificateAuthorities?: string[];
  /** @default pollUntil's: 2 s doubling to 30 s, 10 minutes in all */
  poll?: PollSettings;
  /**
   * The wait for ACM's own renewal of a private certificate, which takes minutes. The deployed workflow waits with
   * a Wait state between looks (`check`), so its function sets `{ timeoutMs: 0 }`: one look, then `pending`.
   * @default poll
   */
  watch?: PollSettings;
}

/** ACM's key algorithm → the Web Crypto key of a re-issued certificate, and how its CSR is signed. */
const KEY_SPECS: Record<string, { generate: RsaHashedKeyGenParams | EcKeyGenParams; sign: Algorithm | EcdsaParams }> = {
  RSA_2048: rsa(2048),
  RSA_3072: rsa(3072),
  RSA_4096: rsa(4096),
  EC_prime256v1: {
    generate: { name: 'ECDSA', namedCurve: 'P-256' },
    sign: { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams,
  },
  EC_secp384r1: {
    generate: { name: 'ECDSA', namedCurve: 'P-384' },
    sign: { name: 'ECDSA', hash: 'SHA-384' } as EcdsaParams,
  },
};

function rsa(bits: number) {
  return {
    generate: {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: bits,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    } as RsaHashedKeyGenParams,
    sign: { name: 'RSASSA-PKCS1-v1_5' },
  };
}

const fingerprintOf = (pem: string): string =>
  createHash('sha256')
    .update(Buffer.from(new x509.X509Certificate(pem).rawData))
    .digest('hex');

/** A provider refusal as an outcome: the operation and the SDK's error, never the request (it may hold a key). */
const failure = (operation: string, error: unknown): RenewalOutcome => ({
  status: 'failed',
  error: `${operation}: ${describeAwsError(error)}`,
});

/**
 * Renews ACM certificates, by the place's method:
 * - `acm-private-ca`: RenewCertificate, then watches (DescribeCertificate, GetCertificate) until the body at the
 *   ARN is a new certificate or the renewal summary says FAILED.
 * - `pca-reissue`: a new key pair made in memory, a CSR with the certificate's subject and names, IssueCertificate
 *   at the configured Private CA (idempotency token from the attempt), GetCertificate until it is issued, then
 *   ImportCertificate at the same ARN (attachments stay). The private key goes from memory to ACM only.
 * - `acm-managed`: calls nothing; reads the RenewalSummary, and reports a validation problem as a failure so that
 *   a person fixes DNS in time.
 */
export class AwsAcmRenewer implements CertificateRenewer {
  readonly kind = 'aws-acm' as const;
  private authoritySubjects?: Promise<Map<string, string>>;

  constructor(private readonly options: AwsAcmRenewerOptions) {}

  async renewalSettings(): Promise<Partial<RenewalSettings>> {
    if (!this.options.issuingCertificateAuthorities?.length) return {};
    return { reissuingIssuers: new Set((await this.authoritiesBySubject()).keys()) };
  }

  async renew(request: RenewalRequest): Promise<RenewalOutcome> {
    switch (request.method) {
      case 'acm-private-ca':
        return this.renewPrivate(request);
      case 'pca-reissue':
        return this.reissue(request);
      case 'acm-managed':
        return this.readManagedRenewal(request.place);
      default:
        return { status: 'failed', error: `ACM does not renew by ${request.method}` };
    }
  }

  private acm(place: StoredLocation): ACMClient {
    return this.options.clients.client('acm', this.accountOf(place.account), place.region!, (c) => new ACMClient(c));
  }

  private pca(accountId: string | undefined, region: string): ACMPCAClient {
    return this.options.clients.client(
      'acm-pca',
      this.accountOf(accountId),
      region,
      (c) => new (privateCaSdk().ACMPCAClient)(c),
    );
  }

  private accountOf(accountId: string | undefined): AwsAccount {
    const configured = this.options.accounts?.find((account) => account.accountId === accountId);
    return configured ?? { accountId: accountId ?? '' };
  }

  private async renewPrivate({ place, signal }: RenewalRequest): Promise<RenewalOutcome> {
    const acm = this.acm(place);
    const CertificateArn = place.nativeId;
    try {
      await acm.send(new RenewCertificateCommand({ CertificateArn }), { abortSignal: signal });
    } catch (error) {
      return failure('RenewCertificate', error);
    }
    try {
      const outcome = await pollUntil(
        () => this.lookAtPrivateRenewal(place),
        this.options.watch ?? this.options.poll,
        signal,
      );
      return outcome ?? stillRenewing(CertificateArn);
    } catch (error) {
      return failure('DescribeCertificate/GetCertificate', error);
    }
  }

  async check({ place, method }: RenewalRequest): Promise<RenewalOutcome> {
    if (method === 'acm-managed') return this.readManagedRenewal(place);
    if (method !== 'acm-private-ca') return { status: 'failed', error: `an ACM ${method} renewal is not watched` };
    try {
      const look = await this.lookAtPrivateRenewal(place);
      return look.done ? look.value : stillRenewing(place.nativeId);
    } catch (error) {
      return failure('DescribeCertificate/GetCertificate', error);
    }
  }

  /** One look at ACM's renewal of a private certificate: failed, a new body at the ARN, or not yet. */
  private async lookAtPrivateRenewal(place: StoredLocation): Promise<PollResult<RenewalOutcome>> {
    const acm = this.acm(place);
    const CertificateArn = place.nativeId;
    const { Certificate } = await acm.send(new DescribeCertificateCommand({ CertificateArn }));
    if (Certificate?.RenewalSummary?.RenewalStatus === 'FAILED') {
      return { done: true, value: { status: 'failed', error: renewalProblemOf(Certificate) } };
    }
    const body = await acm.send(new GetCertificateCommand({ CertificateArn })).catch((error: Error) => {
      if (error.name === 'RequestInProgressException') return undefined;
      throw error;
    });
    const fingerprint = body?.Certificate ? fingerprintOf(body.Certificate) : undefined;
    if (!fingerprint || fingerprint === place.fingerprint) return { done: false };
    return {
      done: true,
      value: { status: 'succeeded', newFingerprint: fingerprint, message: `ACM renewed ${CertificateArn}` },
    };
  }

  private async readManagedRenewal(place: StoredLocation): Promise<RenewalOutcome> {
    const acm = this.acm(place);
    const CertificateArn = place.nativeId;
    let detail: CertificateDetail;
    let current: string | undefined;
    try {
      detail = (await acm.send(new DescribeCertificateCommand({ CertificateArn }))).Certificate ?? {};
      if (detail.Status === 'ISSUED') {
        current = fingerprintOf((await acm.send(new GetCertificateCommand({ CertificateArn }))).Certificate!);
      }
    } catch (error) {
      return failure('DescribeCertificate', error);
    }
    if (current && current !== place.fingerprint) {
      return { status: 'succeeded', newFingerprint: current, message: `ACM has renewed ${CertificateArn}` };
    }
    const status = detail.RenewalSummary?.RenewalStatus;
    if (status === 'PENDING_VALIDATION' || status === 'FAILED')
      return { status: 'failed', error: renewalProblemOf(detail) };
    if (detail.RenewalEligibility === 'INELIGIBLE') {
      return {
        status: 'failed',
        error: `ACM will not renew ${CertificateArn}: it is not in use (RenewalEligibility INELIGIBLE); attach it or replace it`,
      };
    }
    return {
      status: 'pending',
      message: `ACM renews ${CertificateArn} itself (${status ?? 'renewal not started yet'}); nothing to call`,
    };
  }

  /**
   * The re-issue at a Private CA. The key lives in this call only: an import that fails (after the SDK's retries)
   * fails the attempt and drops the key; the next attempt makes a new key and a new idempotency token, so the
   * CA never hands back the certificate of a key that is gone (docs/architecture.md, "Renewal").
   */
  private async reissue({ place, renewalId, attempt, signal }: RenewalRequest): Promise<RenewalOutcome> {
    const acm = this.acm(place);
    const CertificateArn = place.nativeId;
    const authority = (await this.authoritiesBySubject()).get(place.certificate?.issuer ?? '');
    if (!authority)
      return { status: 'failed', error: `no configured Private CA has issuer ${place.certificate?.issuer}` };
    const spec = KEY_SPECS[String(place.details?.keyAlgorithm)];
    if (!spec) return { status: 'failed', error: `cannot re-issue a ${String(place.details?.keyAlgorithm)} key` };

    let current: x509.X509Certificate;
    try {
      current = new x509.X509Certificate((await acm.send(new GetCertificateCommand({ CertificateArn }))).Certificate!);
    } catch (error) {
      return failure('GetCertificate', error);
    }
    const keys = (await webcrypto.subtle.generateKey(spec.generate, true, ['sign', 'verify'])) as CryptoKeyPair;
    const san = current.getExtension(x509.SubjectAlternativeNameExtension);
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: current.subjectName,
      keys,
      signingAlgorithm: spec.sign,
      extensions: san ? [san] : [],
    });
    const caRegion = authority.split(':')[3];
    const pca = this.pca(place.account, caRegion);
    const days = Math.max(1, Math.ceil((current.notAfter.getTime() - current.notBefore.getTime()) / 86_400_000));
    let issuedArn: string;
    try {
      const issued = await pca.send(
        new (privateCaSdk().IssueCertificateCommand)({
          CertificateAuthorityArn: authority,
          Csr: new TextEncoder().encode(csr.toString('pem')),
          SigningAlgorithm: spec.generate.name === 'ECDSA' ? 'SHA256WITHECDSA' : 'SHA256WITHRSA',
          Validity: { Type: 'DAYS', Value: days },
          IdempotencyToken: createHash('sha256').update(`${renewalId}#${attempt}`).digest('hex').slice(0, 32),
        }),
        { abortSignal: signal },
      );
      issuedArn = issued.CertificateArn!;
    } catch (error) {
      return failure('IssueCertificate', error);
    }
    let body: { Certificate: string; CertificateChain?: string } | undefined;
    try {
      body = await pollUntil(
        async () => {
          try {
            const got = await pca.send(
              new (privateCaSdk().GetCertificateCommand)({
                CertificateAuthorityArn: authority,
                CertificateArn: issuedArn,
              }),
            );
            return { done: true, value: { Certificate: got.Certificate!, CertificateChain: got.CertificateChain } };
          } catch (error) {
            if ((error as Error).name === 'RequestInProgressException') return { done: false };
            throw error;
          }
        },
        this.options.poll,
        signal,
      );
    } catch (error) {
      return failure('GetCertificate (Private CA)', error);
    }
    if (!body) return { status: 'failed', error: `the Private CA did not issue ${issuedArn} in time` };

    const privateKey = await privateKeyPemBytes(keys);
    try {
      await acm.send(
        new ImportCertificateCommand({
          CertificateArn,
          Certificate: Buffer.from(body.Certificate),
          PrivateKey: privateKey,
          CertificateChain: body.CertificateChain ? Buffer.from(body.CertificateChain) : undefined,
        }),
        { abortSignal: signal },
      );
    } catch (error) {
      return failure('ImportCertificate', error);
    } finally {
      privateKey.fill(0);
    }
    return {
      status: 'succeeded',
      newFingerprint: fingerprintOf(body.Certificate),
      message: `issued ${issuedArn} by ${authority} and imported it at ${CertificateArn}`,
    };
  }

  /** The configured CAs by subject (as the inventory writes an issuer), each read in its own account, once. */
  private authoritiesBySubject(): Promise<Map<string, string>> {
    this.authoritySubjects ??= readIssuingAuthorities(
      this.options.issuingCertificateAuthorities ?? [],
      (accountId, region) => this.pca(accountId, region),
    ).then((authorities) => new Map(authorities.map(({ arn, certificate }) => [certificate.record.subject, arn])));
    this.authoritySubjects.catch(() => (this.authoritySubjects = undefined));
    return this.authoritySubjects;
  }
}

const stillRenewing = (arn: string): RenewalOutcome => ({
  status: 'pending',
  message: `ACM is still renewing ${arn}; run renew again to check`,
});

/** ACM's words for a renewal that needs a person: the status, its reason, and each domain not validated. */
function renewalProblemOf(detail: CertificateDetail): string {
  const summary = detail.RenewalSummary;
  const domains = (summary?.DomainValidationOptions ?? [])
    .filter((domain) => domain.ValidationStatus !== 'SUCCESS')
    .map((domain) => {
      const record = domain.ResourceRecord;
      const fix = record ? `: ${record.Type} ${record.Name} → ${record.Value}` : '';
      return `${domain.DomainName} ${domain.ValidationStatus ?? 'not validated'}${fix}`;
    });
  const reason = summary?.RenewalStatusReason ? ` (${summary.RenewalStatusReason})` : '';
  const which = domains.length > 0 ? `; domains: ${domains.join('; ')}` : '';
  return `managed renewal ${summary?.RenewalStatus ?? 'FAILED'}${reason}${which}`;
}
