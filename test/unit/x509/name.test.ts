import { issueCertificate } from '../../../lib/x509/factory';
import { parseCertificates } from '../../../lib/x509/parse';
import { opensslSync } from '../../support/openssl';

/** A self-signed certificate whose subject `openssl req -subj` builds (multi-valued RDNs and UTF-8 allowed). */
function subjectOf(subj: string) {
  const pem = opensslSync([
    'req',
    '-x509',
    '-newkey',
    'ed25519',
    '-nodes',
    '-keyout',
    '/dev/null',
    '-multivalue-rdn',
    '-utf8',
    '-days',
    '1',
    '-subj',
    subj,
  ]);
  const { record } = parseCertificates(pem, 'name.pem').certificates[0];
  return { subject: record.subject, commonName: record.subjectCommonName };
}

describe('subject and issuer names', () => {
  it.each([
    ['most specific attribute first', '/C=DE/O=Example/CN=host', 'CN=host,O=Example,C=DE'],
    ['multi-valued RDNs joined by +, in reverse like the rest', '/CN=a+UID=b/O=x', 'O=x,UID=b+CN=a'],
    ['special characters escaped', '/CN=a;<b>"c\\\\/O=Acme\\, Inc.', 'O=Acme\\, Inc.,CN=a\\;\\<b\\>\\"c\\\\'],
    ['a leading # or space and a trailing space escaped', '/CN=#1 server /O= lead', 'O=\\ lead,CN=\\#1 server\\ '],
    ['non-ASCII text as UTF-8, unescaped', '/CN=Grüße/O=Ünïcode', 'O=Ünïcode,CN=Grüße'],
  ])('renders %s', (_, subj, expected) => {
    expect(subjectOf(subj).subject).toBe(expected);
  });

  it('renders an attribute type OpenSSL does not know as its OID and the hex of its value', async () => {
    const { der } = await issueCertificate({
      subject: 'CN=x, 1.2.3.4=hello',
      notBefore: new Date('2026-01-01T00:00:00Z'),
      notAfter: new Date('2027-01-01T00:00:00Z'),
    });

    expect(parseCertificates(der, 'oid.der').certificates[0].record.subject).toBe('1.2.3.4=#130568656C6C6F,CN=x');
  });

  it('takes the last common name, unescaped', () => {
    expect(subjectOf('/CN=first/CN=second, with comma').commonName).toBe('second, with comma');
  });

  it('has no common name when the subject has no CN', () => {
    expect(subjectOf('/O=Only Org').commonName).toBeNull();
  });
});
