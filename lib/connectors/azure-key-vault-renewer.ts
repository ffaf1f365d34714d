import { createHash } from 'node:crypto';
import type { CertificateClient, CertificateOperation } from '@azure/keyvault-certificates';
import type { CertificateRenewer, RenewalOutcome, RenewalRequest } from '../ports/certificate-renewer';
import { pollUntil, type PollSettings } from './renewal-poll';

/** What the renewer asks of a vault: the certificate's policy, and a new version with it. */
export type KeyVaultCertificateRenewerClient = Pick<
  CertificateClient,
  'getCertificatePolicy' | 'beginCreateCertificate'
>;

export interface AzureKeyVaultRenewerOptions {
  /** The client of a vault, by its URL (`https://payments.vault.azure.net`): as the source's, paced and retried. */
  clientFor(vaultUrl: string): KeyVaultCertificateRenewerClient;
  /** @default pollUntil's: 2 s doubling to 30 s, 10 minutes in all */
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

/** `Code: message` of a Key Vault REST error, as the SDK throws it. */
function describeKeyVaultError(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  return `${code ? `${code}: ` : ''}${message ?? String(error)}`;
}

/**
 * Renews a Key Vault certificate: a new version through `beginCreateCertificate` with the certificate's own
 * policy (its issuer, key and subject), the order polled until Key Vault says completed or failed. The issuer's
 * error (an integrated CA's refusal) is reported verbatim. Key Vault makes and keeps the key; nothing of it passes here.
 */
export class AzureKeyVaultRenewer implements CertificateRenewer {
  readonly kind = 'azure-key-vault' as const;

  constructor(private readonly options: AzureKeyVaultRenewerOptions) {}

  async renew({ place, signal }: RenewalRequest): Promise<RenewalOutcome> {
    // A place is `<vault URL>/certificates/<name>` (AzureKeyVaultSource).
    const url = new URL(place.nativeId);
    const name = decodeURIComponent(url.pathname.split('/').filter(Boolean).at(-1) ?? '');
    const client = this.options.clientFor(url.origin);
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
      if (!done) return { status: 'pending', message: `Key Vault's order for ${place.nativeId} is still in progress` };
    } catch (error) {
      // The poller throws a failed order's error as a plain Error; the operation keeps the issuer's code and words.
      const refused = refusalOf(orderOf(poller));
      return { status: 'failed', error: refused ?? `createCertificate: ${describeKeyVaultError(error)}` };
    }
    const state = orderOf(poller) ?? {};
    const refused = refusalOf(state);
    if (refused) return { status: 'failed', error: refused };
    const operation = state.certificateOperation;
    const cer = state.result?.cer;
    return {
      status: 'succeeded',
      newFingerprint: cer ? createHash('sha256').update(cer).digest('hex') : null,
      message: `Key Vault made a new version of ${place.nativeId} (issuer ${operation?.issuerName ?? 'unknown'})`,
    };
  }
}

/** A failed or cancelled order, in the issuer's own words (code and message verbatim); undefined when it completed. */
function refusalOf(state: OrderState | undefined): string | undefined {
  const operation = state?.certificateOperation;
  if (!operation || (operation.status === 'completed' && !operation.error)) return undefined;
  if (operation.status === 'inProgress' && !operation.error) return undefined;
  const words = operation.error
    ? `${operation.error.code ? `${operation.error.code}: ` : ''}${operation.error.message}`
    : `order ${operation.status}${operation.statusDetails ? ` (${operation.statusDetails})` : ''}`;
  return `the issuer refused (${operation.issuerName ?? 'issuer'}): ${words}`;
}
