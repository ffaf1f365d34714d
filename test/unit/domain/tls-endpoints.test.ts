import { CertwardenConfig } from '../../../lib/domain/config';
import { addressOfEndpointId, endpointIdOf, parseEndpoint, targetsOf } from '../../../lib/domain/tls-endpoints';

const SYNTAX =
  'expected [protocol://]host[:port], host:from-to or [ipv6]:port (protocol, for STARTTLS: smtp, imap, pop3, ftp, ldap, postgres)';

describe('parseEndpoint', () => {
  it.each([
    ['example.com', { host: 'example.com' }],
    ['Example.com:8443', { host: 'example.com', ports: ['8443'] }],
    ['[2001:db8::1]:443', { host: '2001:db8::1', ports: ['443'] }],
    ['smtp://mail.example.com:587', { host: 'mail.example.com', ports: ['587'], starttls: 'smtp' }],
    ['IMAP://mail.example.com', { host: 'mail.example.com', starttls: 'imap' }],
    ['postgres://[2001:db8::5]:6432', { host: '2001:db8::5', ports: ['6432'], starttls: 'postgres' }],
    ['ldap://10.0.0.7:389-390', { host: '10.0.0.7', ports: ['389-390'], starttls: 'ldap' }],
  ])('%s', (text, spec) => {
    expect(parseEndpoint(text)).toEqual(spec);
  });

  it.each([
    [
      'https://example.com',
      'https://example.com: https is not a STARTTLS protocol (smtp, imap, pop3, ftp, ldap, postgres)',
    ],
    ['smtp://', `smtp://: ${SYNTAX}`],
    ['smtp://bad host', `smtp://bad host: ${SYNTAX}`],
    ['pop3://mail.example.com:0', 'pop3://mail.example.com:0: 0 is not a port or a port range'],
  ])('refuses %s in one line', (text, message) => {
    expect(() => parseEndpoint(text)).toThrow(new Error(message));
  });
});

describe('targetsOf', () => {
  it.each([
    ['smtp', 25],
    ['imap', 143],
    ['pop3', 110],
    ['ftp', 21],
    ['ldap', 389],
    ['postgres', 5432],
  ])('a %s endpoint without a port is scanned on %d, the protocol written on each target', (protocol, port) => {
    expect(targetsOf(parseEndpoint(`${protocol}://db.example.com`))).toEqual([
      { host: 'db.example.com', port, serverName: 'db.example.com', starttls: protocol },
    ]);
  });

  it('keeps 443 and no protocol for a plain endpoint: a port never implies STARTTLS', () => {
    expect(targetsOf(parseEndpoint('mail.example.com:25'))).toEqual([
      { host: 'mail.example.com', port: 25, serverName: 'mail.example.com' },
    ]);
    expect(targetsOf(parseEndpoint('mail.example.com'))[0]).not.toHaveProperty('starttls');
  });
});

describe('endpointIdOf', () => {
  it.each([
    [{ host: 'example.com', port: 443, serverName: 'example.com' }, 'example.com:443'],
    [{ host: '10.0.0.5', port: 443, serverName: 'a.lan' }, 'a.lan@10.0.0.5:443'],
    [{ host: '2001:db8::1', port: 443, serverName: null }, '[2001:db8::1]:443'],
    [
      { host: 'mail.example.com', port: 25, serverName: 'mail.example.com', starttls: 'smtp' as const },
      'smtp://mail.example.com:25',
    ],
    [
      { host: '10.0.0.5', port: 5432, serverName: 'db.lan', starttls: 'postgres' as const },
      'postgres://db.lan@10.0.0.5:5432',
    ],
  ])('%j is %s: plain TLS places as before, STARTTLS ones apart', (target, id) => {
    expect(endpointIdOf(target)).toBe(id);
  });
});

describe('addressOfEndpointId', () => {
  it.each([
    ['example.com:443', 'example.com:443'],
    ['a.lan@10.0.0.5:443', '10.0.0.5:443'],
    ['[2001:db8::1]:443', '[2001:db8::1]:443'],
    ['smtp://mail.example.com:25', 'smtp://mail.example.com:25'],
    ['postgres://db.lan@10.0.0.5:5432', 'postgres://10.0.0.5:5432'],
  ])('%s connects to %s: the SNI name dropped, the STARTTLS protocol kept', (id, address) => {
    expect(addressOfEndpointId(id)).toBe(address);
  });
});

describe('STARTTLS in the configuration', () => {
  const parse = (endpoints: unknown[], group: Record<string, unknown> = {}) =>
    CertwardenConfig.safeParse({
      sources: [{ kind: 'tls-endpoint', name: 'mail', groups: [{ name: 'mx', endpoints, ...group }] }],
    });
  const problems = (result: ReturnType<typeof parse>) =>
    result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);

  it('takes it in front of an endpoint, on an endpoint object and on a group', () => {
    expect(
      problems(
        parse(['smtp://mx1.example.com:587', { host: 'mx2.example.com', starttls: 'imap' }], { starttls: 'pop3' }),
      ),
    ).toEqual([]);
  });

  it('refuses an unknown protocol, and one written into an object host, each naming the field', () => {
    expect(
      problems(
        parse([{ host: 'mx.example.com', starttls: 'smtps' }, { host: 'smtp://mx.example.com' }], { starttls: 'tls' }),
      ),
    ).toEqual([
      'sources.0.groups.0.endpoints.0.starttls: expected a STARTTLS protocol: smtp, imap, pop3, ftp, ldap, postgres (leave it out for TLS from the first byte)',
      'sources.0.groups.0.endpoints.1.host: expected a DNS name or an IP address',
      'sources.0.groups.0.starttls: expected a STARTTLS protocol: smtp, imap, pop3, ftp, ldap, postgres (leave it out for TLS from the first byte)',
    ]);
  });
});
