import { createHash } from 'node:crypto';
import type { CertificateClient, CertificateOperation } from '@azure/keyvault-certificates';
import type { CertificateRenewer, RenewalOutcome, RenewalRequest } from '../ports/certificate-renewer';
import type { StoredLocation } from '../ports/inventory-store';
import { pollUntil, type PollSettings } from './renewal-poll';

/** What the renewer asks of a vault: the certificate's policy, a new version with it, and a look at that order. */
export type KeyVaultCertificateRenewerClient = Pick<
  CertificateClient,
  'getCertificatePolicy' | 'beginCreateCertificate' | 'getCertificateOperation'
>;

export interface AzureKeyVaultRenewerOptions {
  /** The client of a vault, by its URL (`https://payments.vault.azure.net`): as the source's, paced and retried. */
  clientFor(vaultUrl: string): KeyVaultCertificateRenewerClient;
  /**
   * The wait for the order within `renew`; an order still in progress then ends `pending`, and `check` looks at it
   * again. The deployed workflow sets `{ timeoutMs: 0 }` (its Wait state waits between looks, not its function).
   * @default pollUntil's: 2 s doubling to 30 s, 10 minutes in all
   */
  poll?: PollSettings;
}

/** The create poller's operation state, which keeps the order (status, issuer, error). */
interface OrderState {
  certificateOperation?: CertificateOperation;
  result?: { cer?: Uint8Array };
}

/**
 * The order behind a create poller. Its public `getOperationState()` drops the order (@azure/keyvault-certificates
 * 4.10's cleanState keeps name, flags, error and result), and the error it keeps is a plain Error of the message
 * alone; the issuer's code and name are on the operation's own state, which the SDK's core-lro poller holds.
 */
const orderOf = (poller: unknown): OrderState | undefined =>
  (poller as { operation?: { state?: OrderState } } | undefined)?.operation?.state;

/** The order as Key Vault's REST API answers `GET /certificates/{name}/pending` (api-version 2025-07-01). */
interface OrderBody {
  status?: string;
  status_details?: string;
  issuer?: { name?: string };
  error?: { code?: string; message?: string } | null;
}

type ResponseCallback = NonNullable<
  NonNullable<Parameters<CertificateClient['getCertificateOperation']>[1]>['onResponse']
>;

/** `Code: message` of a Key Vault REST error, as the SDK throws it. */
function describeKeyVaultError(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  return `${code ? `${code}: ` : ''}${message ?? String(error)}`;
}

/**
 * Renews a Key Vault certificate: a new version through `beginCreateCertificate` with the certificate's own
 * policy (its issuer, key and subject), the order polled until Key Vault says completed or failed, or until the
 * renewer's wait runs out (`pending`; `check` looks again later, never ordering twice). The issuer's error (an
 * integrated CA's refusal) is reported verbatim. Key Vault makes and keeps the key; nothing of it passes here.
 */
export class AzureKeyVaultRenewer implements CertificateRenewer {
  readonly kind = 'azure-key-vault' as const;

  constructor(private readonly options: AzureKeyVaultRenewerOptions) {}

  async renew({ place, signal }: RenewalRequest): Promise<RenewalOutcome> {
    const { name, client } = this.vaultOf(place);
    let policy;
    try {
      policy = await client.getCertificatePolicy(name, { abortSignal: signal });
    } catch (error) {
      return { status: 'failed', error: `getCertificatePolicy: ${describeKeyVaultError(error)}` };
    }
    let poller: Awaited<ReturnType<KeyVaultCertificateRenewerClient['beginCreateCertificate']>> | undefined;
    try {
      poller = await client.beginCreateCertificate(name, policy, { abortSignal: signal });
      const started = poller;
      const done = await pollUntil(
        async () => {
          if (!started.isDone()) await started.poll();
          return started.isDone() ? { done: true, value: true } : { done: false };
        },
        this.options.poll,
        signal,
      );
      if (!done) return stillOrdering(place, orderOf(started)?.certificateOperation);
    } catch (error) {
      // The poller throws a failed order's error as a plain Error; the operation keeps the issuer's code and words.
      const refused = refusalOf(orderOf(poller)?.certificateOperation);
      return { status: 'failed', error: refused ?? `createCertificate: ${describeKeyVaultError(error)}` };
    }
    const state = orderOf(poller) ?? {};
    const refused = refusalOf(state.certificateOperation);
    if (refused) return { status: 'failed', error: refused };
    const cer = state.result?.cer;
    return madeVersion(place, state.certificateOperation, cer ? fingerprintOf(cer) : null);
  }

  /**
   * One look at the order `renew` left in progress (`getCertificateOperation`, which reads the order and, once it
   * has ended, the certificate's current version): still in progress, the new version's fingerprint, or the issuer's
   * refusal verbatim. Orders nothing. A version that is still `place.fingerprint` (the certificate being renewed) is
   * not the order's: the order is over without a new certificate. A vault that does not answer leaves it pending.
   */
  async check({ place, signal }: RenewalRequest): Promise<RenewalOutcome> {
    const { name, client } = this.vaultOf(place);
    // The SDK throws a failed order's error as a plain Error of its message alone: the issuer's code is in the
    // order Key Vault answered with, kept here as it arrives.
    let answered: CertificateOperation | undefined;
    const onResponse: ResponseCallback = (response) => {
      if (new URL(response.request.url).pathname.endsWith('/pending') && response.status === 200)
        answered = orderOfBody(name, response.parsedBody as OrderBody);
    };
    let order: CertificateOperation | undefined;
    let cer: Uint8Array | undefined;
    try {
      const poller = await client.getCertificateOperation(name, { abortSignal: signal, onResponse });
      order = poller.getOperationState().certificateOperation;
      cer = poller.getResult()?.cer;
    } catch (error) {
      const refused = refusalOf(answered);
      if (refused) return { status: 'failed', error: refused };
      const status = (error as { statusCode?: number }).statusCode;
      // A vault that is down (5xx, or no answer) after the client's retries says nothing about the order, which
      // goes on at the vault: the next look asks again (the deployed workflow gives up after its own limit).
      if (status === undefined || status >= 500) {
        return {
          status: 'pending',
          message: `Key Vault did not answer about the order for ${place.nativeId} (${describeKeyVaultError(error)}); run renew again to check`,
        };
      }
      const gone =
        status === 404 ? ' (the order or the certificate is gone from the vault: renew again to order anew)' : '';
      return { status: 'failed', error: `getCertificateOperation: ${describeKeyVaultError(error)}${gone}` };
    }
    const refused = refusalOf(order);
    if (refused) return { status: 'failed', error: refused };
    if (order?.status === 'inProgress') return stillOrdering(place, order);
    const fingerprint = cer ? fingerprintOf(cer) : null;
    if (!fingerprint || fingerprint === place.fingerprint) {
      return {
        status: 'failed',
        error: `Key Vault's order for ${place.nativeId} is ${order?.status ?? 'gone'}, but the current version is not a new certificate`,
      };
    }
    return madeVersion(place, order, fingerprint);
  }

  /** A place is `<vault URL>/certificates/<name>` (AzureKeyVaultSource): the certificate's name and its vault's client. */
  private vaultOf(place: StoredLocation): { name: string; client: KeyVaultCertificateRenewerClient } {
    const url = new URL(place.nativeId);
    const name = decodeURIComponent(url.pathname.split('/').filter(Boolean).at(-1) ?? '');
    return { name, client: this.options.clientFor(url.origin) };
  }
}

const fingerprintOf = (cer: Uint8Array): string => createHash('sha256').update(cer).digest('hex');

const madeVersion = (
  place: StoredLocation,
  operation: CertificateOperation | undefined,
  newFingerprint: string | null,
): RenewalOutcome => ({
  status: 'succeeded',
  newFingerprint,
  message: `Key Vault made a new version of ${place.nativeId} (issuer ${operation?.issuerName ?? 'unknown'})`,
});

const stillOrdering = (place: StoredLocation, operation: CertificateOperation | undefined): RenewalOutcome => ({
  status: 'pending',
  message:
    `Key Vault's order for ${place.nativeId} is still in progress at ${operation?.issuerName ?? 'its issuer'}` +
    `${operation?.statusDetails ? ` (${operation.statusDetails})` : ''}; run renew again to check`,
});

/** The fields of an order body that say how it stands, as the SDK's CertificateOperation names them. */
const orderOfBody = (name: string, body: OrderBody): CertificateOperation => ({
  name,
  status: body.status,
  statusDetails: body.status_details,
  issuerName: body.issuer?.name,
  error: body.error ?? undefined,
});

/** A failed or cancelled order, in the issuer's own words (code and message verbatim); undefined when it completed. */
function refusalOf(operation: CertificateOperation | undefined): string | undefined {
  if (!operation || (operation.status === 'completed' && !operation.error)) return undefined;
  if (operation.status === 'inProgress' && !operation.error) return undefined;
  const words = operation.error
    ? `${operation.error.code ? `${operation.error.code}: ` : ''}${operation.error.message}`
    : `order ${operation.status}${operation.statusDetails ? ` (${operation.statusDetails})` : ''}`;
  return `the issuer refused (${operation.issuerName ?? 'issuer'}): ${words}`;
}
