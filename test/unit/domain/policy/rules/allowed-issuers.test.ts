import { allowedIssuers, allowedIssuersRule } from '../../../../../lib/domain/policy/rules/allowed-issuers';
import { context, record, subject } from '../fixtures';

const CA_KEY = 'c'.repeat(64);
const params = { ...allowedIssuersRule.defaults, subjects: ["CN=R11, O=Let's Encrypt, C=US"], spkiSha256: [CA_KEY] };

describe('allowed-issuers', () => {
  describe('Compliant', () => {
    it('an issuer named in the list (case and spaces ignored)', () => {
      const certificate = record({ issuer: "cn=R11,o=Let's Encrypt,c=US" });
      expect(allowedIssuers(subject(certificate), params, context())).toEqual({ outcome: 'compliant' });
    });

    it('an issuer key in the list, whatever the issuer calls itself', () => {
      const certificate = record({ issuer: 'CN=Renamed CA' });
      expect(allowedIssuers({ certificate, issuerSpkiSha256: CA_KEY.toUpperCase() }, params, context())).toEqual({
        outcome: 'compliant',
      });
    });

    it('a self-signed certificate whose own key is listed', () => {
      const root = record({ issuer: 'CN=Root', subject: 'CN=Root', selfSigned: true, publicKeySha256: CA_KEY });
      expect(allowedIssuers(subject(root), params, context())).toEqual({ outcome: 'compliant' });
    });
  });

  describe('Noncompliant', () => {
    it('an issuer in neither list', () => {
      const result = allowedIssuers(subject(record({ issuer: 'CN=Rogue CA,O=Example' })), params, context());
      expect(result).toMatchObject({ outcome: 'violation', details: { issuer: 'CN=Rogue CA,O=Example' } });
      expect(result.outcome === 'violation' && result.message).toContain('CN=Rogue CA,O=Example');
    });

    it('a copied issuer name does not pass on the key list', () => {
      const certificate = record({ issuer: 'CN=Copycat' });
      expect(allowedIssuers({ certificate, issuerSpkiSha256: 'd'.repeat(64) }, params, context())).toMatchObject({
        outcome: 'violation',
      });
    });

    it('says so when the policy allows no issuer at all', () => {
      const result = allowedIssuers(subject(record()), allowedIssuersRule.defaults, context());
      expect(result.outcome === 'violation' && result.message).toContain('allows none');
    });
  });
});
