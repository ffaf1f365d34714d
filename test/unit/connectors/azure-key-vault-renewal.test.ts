import type { CertificatePolicy, LifetimeAction } from '@azure/keyvault-certificates';
import { renewalOf } from '../../../lib/connectors/azure-key-vault';

const policy = (issuerName: string, lifetimeActions: LifetimeAction[]): CertificatePolicy => ({
  issuerName,
  lifetimeActions,
  subject: 'CN=www.example.com',
});

describe('renewalOf a Key Vault certificate policy', () => {
  it.each([
    [
      'auto-renewed through an integrated CA',
      policy('DigiCert', [{ action: 'AutoRenew', lifetimePercentage: 80 }]),
      { renewal: 'key-vault-auto', managed: true },
    ],
    [
      'auto-renewed and e-mailing too',
      policy('GlobalSign', [{ action: 'EmailContacts' }, { action: 'AutoRenew' }]),
      { renewal: 'key-vault-auto', managed: true },
    ],
    [
      'auto-renewed but self-signed',
      policy('Self', [{ action: 'AutoRenew' }]),
      { renewal: 'key-vault-auto', managed: false },
    ],
    [
      'issued by an unknown CA (case aside)',
      policy('unknown', [{ action: 'AutoRenew' }]),
      { renewal: 'key-vault-auto', managed: false },
    ],
    [
      'only e-mailing its contacts',
      policy('Unknown', [{ action: 'EmailContacts', daysBeforeExpiry: 30 }]),
      { renewal: 'email-only', managed: false },
    ],
    ['without lifetime actions', policy('DigiCert', []), { renewal: 'manual', managed: false }],
    ['without a policy', undefined, { renewal: 'manual', managed: false }],
  ])('%s', (_case, given, expected) => {
    expect(renewalOf(given)).toEqual(expected);
  });
});
