import { PCA_REVOCATION_REASON, pcaSerialOf } from '../../../lib/connectors/aws-pca-revoker';
import { RevocationRefusedError } from '../../../lib/domain/errors';
import { REVOCATION_REASONS } from '../../../lib/domain/revocation';
import CERTIFICATE_REVOKED_SCHEMA from '../../../lib/domain/event-schemas/certificate-revoked.schema.json';

describe('the serial RevokeCertificate is sent', () => {
  it.each([
    [
      'as the inventory shows it',
      '3D9935664C0C426EA44B297251CD349F',
      '3d:99:35:66:4c:0c:42:6e:a4:4b:29:72:51:cd:34:9f',
    ],
    ['with its leading zero octet kept', '0A1B', '0a:1b'],
    ['stored before the whole-octet form', 'a1b', '0a:1b'],
    ['zero', '0', '00'],
  ])('is the octets in lowercase hex, colon-separated (%s)', (_case, serial, sent) => {
    expect(pcaSerialOf(serial)).toBe(sent);
  });

  it('refuses a negative serial, which no CA issues', () => {
    expect(() => pcaSerialOf('-0A')).toThrow(RevocationRefusedError);
  });
});

describe('the reasons', () => {
  it('map every RFC 5280 name the CLI takes to a distinct ACM Private CA RevocationReason', () => {
    expect(Object.keys(PCA_REVOCATION_REASON).sort()).toEqual([...REVOCATION_REASONS].sort());
    expect(new Set(Object.values(PCA_REVOCATION_REASON)).size).toBe(REVOCATION_REASONS.length);
  });

  it('are the ones the Certificate Revoked schema allows', () => {
    expect(CERTIFICATE_REVOKED_SCHEMA.properties.reason.enum).toEqual([...REVOCATION_REASONS]);
  });
});
