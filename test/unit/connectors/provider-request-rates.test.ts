import { createKeyVaultClient } from '../../../lib/connectors/azure-key-vault';
import {
  GoogleCertificateManagerSource,
  type CertificateManagerApi,
} from '../../../lib/connectors/google-certificate-manager';
import { RateLimiters } from '../../../lib/connectors/rate-limiter';
import { ConfigError } from '../../../lib/domain/errors';
import { StubTokenCredential } from '../../support/fakes/key-vault-server';

/** The rate of a quota unit's bucket, or Infinity when nobody made one (asking with Infinity never lowers it). */
const rateOf = (limiters: RateLimiters, unit: string) => limiters.bucket(unit, Infinity).rate;

describe('the Key Vault client’s bucket', () => {
  const credential = new StubTokenCredential();

  it('is the vault’s, at the published 400 a second, whatever the spelling of its URL', () => {
    const rateLimiters = new RateLimiters();
    createKeyVaultClient('https://Payments.vault.azure.net/', credential, { rateLimiters });

    expect(rateOf(rateLimiters, 'azure-key-vault/https://payments.vault.azure.net')).toBe(400);
    expect(rateOf(rateLimiters, 'azure-key-vault/https://Payments.vault.azure.net/')).toBe(Infinity);
  });

  it('takes a configured rate over the published one, and gives another vault a bucket of its own', () => {
    const rateLimiters = new RateLimiters();
    createKeyVaultClient('https://payments.vault.azure.net', credential, { rateLimiters, requestsPerSecond: 50 });
    createKeyVaultClient('https://shop.vault.azure.net', credential, { rateLimiters });

    expect(rateOf(rateLimiters, 'azure-key-vault/https://payments.vault.azure.net')).toBe(50);
    expect(rateOf(rateLimiters, 'azure-key-vault/https://shop.vault.azure.net')).toBe(400);
  });
});

describe('the Certificate Manager source’s buckets', () => {
  const client = {} as CertificateManagerApi;
  const source = (options: { requestsPerSecond?: number; rateLimiters: RateLimiters }) =>
    new GoogleCertificateManagerSource({
      name: 'gcm',
      client,
      projects: ['shop-prod', { project: 'data-prod', locations: ['global', 'us-central1'] }],
      locations: ['global', 'europe-west1', 'us-east1'],
      ...options,
    });

  it('are one per project, all its locations together, at the published 5 a second (300 a minute)', () => {
    const rateLimiters = new RateLimiters();
    source({ rateLimiters });

    expect(rateOf(rateLimiters, 'google-certificate-manager/shop-prod')).toBe(5);
    expect(rateOf(rateLimiters, 'google-certificate-manager/data-prod')).toBe(5);
    expect(rateOf(rateLimiters, 'google-certificate-manager/shop-prod/global')).toBe(Infinity);
  });

  it('take a configured rate over the published one', () => {
    const rateLimiters = new RateLimiters();
    source({ rateLimiters, requestsPerSecond: 12 });

    expect(rateOf(rateLimiters, 'google-certificate-manager/shop-prod')).toBe(12);
  });

  it.each([0, -1, Number.NaN])('refuses a rate of %p with the source’s name', (requestsPerSecond) => {
    expect(() => source({ rateLimiters: new RateLimiters(), requestsPerSecond })).toThrow(
      new ConfigError('google-certificate-manager source "gcm": requestsPerSecond must be positive'),
    );
  });
});
