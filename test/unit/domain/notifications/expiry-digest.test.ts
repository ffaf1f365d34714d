import {
  DIGEST_ATTRIBUTES,
  expiryDigest,
  ownerDigests,
  renderDigestEmail,
  renderDigestSlack,
  severityCounts,
  type DigestItem,
} from '../../../../lib/domain/notifications/expiry-digest';
import { slackLimitProblems } from '../../../support/slack-block-kit';

const acm: DigestItem = {
  locationId: 'aws-acm:arn:aws:acm:eu-west-1:111111111111:certificate/abc',
  name: 'api.example.com',
  severity: 'warning',
  daysLeft: 23,
  notAfter: '2026-06-24T00:00:00.000Z',
  source: 'prod-eu-west-1',
  sourceKind: 'aws-acm',
  nativeId: 'arn:aws:acm:eu-west-1:111111111111:certificate/abc',
  owner: 'payments',
  account: '111111111111',
  thresholdId: '30d',
  managed: false,
  renewal: 'manual',
};

const managedAcm: DigestItem = {
  ...acm,
  locationId: 'aws-acm:arn:aws:acm:eu-west-1:111111111111:certificate/def',
  name: 'shop.example.com',
  severity: 'info',
  daysLeft: 45,
  notAfter: '2026-07-16T00:00:00.000Z',
  nativeId: 'arn:aws:acm:eu-west-1:111111111111:certificate/def',
  thresholdId: '60d',
  managed: true,
  renewal: 'acm-managed',
};

const file: DigestItem = {
  locationId: 'local-files:/etc/ssl/intranet.pem',
  name: 'intranet.example.com',
  severity: 'warning',
  daysLeft: 12,
  notAfter: '2026-06-13T00:00:00.000Z',
  source: 'web-servers',
  sourceKind: 'local-files',
  nativeId: '/etc/ssl/intranet.pem',
  owner: 'platform',
  account: null,
  thresholdId: 'lifetime-33%',
  managed: false,
  renewal: null,
};

const digest = expiryDigest('2026-06-01', [managedAcm, acm, file]);

/** `count` distinct items of one owner, 30 to 59 days left. */
const many = (count: number, owner = (i: number) => `team-${i % 7}`): DigestItem[] =>
  Array.from({ length: count }, (_, i) => ({
    ...acm,
    locationId: `local-files:/srv/certs/host-${i}.pem`,
    name: `host-${String(i).padStart(5, '0')}.internal.example.com`,
    nativeId: `/srv/certs/host-${i}.pem`,
    sourceKind: 'local-files',
    severity: i % 4 === 0 ? 'warning' : 'info',
    daysLeft: 30 + (i % 30),
    notAfter: new Date(Date.parse('2026-07-01T00:00:00.000Z') + (i % 30) * 86_400_000).toISOString(),
    owner: owner(i),
  }));

describe('expiryDigest', () => {
  it('orders the items soonest expiry first', () => {
    expect(digest.items.map((item) => item.name)).toEqual([
      'intranet.example.com',
      'api.example.com',
      'shop.example.com',
    ]);
  });

  it('counts by severity, most severe first, without zero counts', () => {
    expect(severityCounts(digest.items)).toBe('2 warning, 1 info');
    expect(severityCounts([managedAcm])).toBe('1 info');
  });
});

describe('renderDigestEmail', () => {
  it('says how many certificates and of which severities in the subject', () => {
    expect(renderDigestEmail(digest).subject).toBe(
      '[certwarden] Daily digest: 3 certificates expiring (2 warning, 1 info)',
    );
    expect(renderDigestEmail(expiryDigest('2026-06-01', [file])).subject).toBe(
      '[certwarden] Daily digest: 1 certificate expiring (1 warning)',
    );
  });

  it('keeps the subject within SNS limits: 100 printable ASCII characters', () => {
    const { subject } = renderDigestEmail(expiryDigest('2026-06-01', many(12_345)));
    expect(subject).toBe('[certwarden] Daily digest: 12345 certificates expiring (3087 warning, 9258 info)');
    expect(subject.length).toBeLessThanOrEqual(100);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
  });

  it('carries filter-policy-safe attributes: severity digest, owner, source and account all', () => {
    expect(renderDigestEmail(digest).attributes).toEqual({
      severity: 'digest',
      source: 'all',
      owner: 'all',
      account: 'all',
      audience: 'all',
    });
    expect(Object.values(DIGEST_ATTRIBUTES).every((value) => value.length > 0)).toBe(true);
  });

  it("splits the digest by owner, in order of each owner's soonest item, each with only its items", () => {
    expect(ownerDigests(digest).map(({ owner, digest: own }) => [owner, own.day, own.items])).toEqual([
      ['platform', '2026-06-01', [file]],
      ['payments', '2026-06-01', digest.items.filter((item) => item.owner === 'payments')],
    ]);
    // Owners alike under the key share one digest, named by the key.
    expect(ownerDigests(digest, () => 'everyone').map(({ owner, digest: own }) => [owner, own.items])).toEqual([
      ['everyone', digest.items],
    ]);
  });

  it("renders an owner's own digest: its subject names the owner, attributes owner and audience owner", () => {
    const rendered = renderDigestEmail(expiryDigest('2026-06-01', [file]), { owner: 'platform' });

    expect(rendered.subject).toBe('[certwarden] Daily digest for platform: 1 certificate expiring (1 warning)');
    expect(rendered.attributes).toEqual({
      severity: 'digest',
      source: 'all',
      owner: 'platform',
      account: 'all',
      audience: 'owner',
    });
    expect(rendered.body).toContain('Only the certificates of platform are listed.');
  });

  it('renders the body grouped by owner, each certificate with where it is and how to renew it', () => {
    expect(renderDigestEmail(digest).body).toMatchSnapshot();
  });

  it('lists what fits in one SNS message and says how many more there are', () => {
    const rendered = renderDigestEmail(expiryDigest('2026-06-01', many(5000)));

    expect(Buffer.byteLength(rendered.body)).toBeLessThanOrEqual(240_000);
    expect(rendered.listed).toBeGreaterThan(100);
    expect(rendered.listed).toBeLessThan(5000);
    expect(rendered.body).toContain(`... and ${5000 - rendered.listed} more`);
  });

  it('honours a smaller byte budget', () => {
    const rendered = renderDigestEmail(expiryDigest('2026-06-01', many(50)), { maxBytes: 4000 });
    expect(Buffer.byteLength(rendered.body)).toBeLessThanOrEqual(4000);
    expect(rendered.body).toContain(`... and ${50 - rendered.listed} more`);
  });

  it('lists everything when it fits, with no overflow line', () => {
    const rendered = renderDigestEmail(digest);
    expect(rendered.listed).toBe(3);
    expect(rendered.body).not.toContain('more (the message would be too long)');
  });
});

describe('renderDigestSlack', () => {
  const sections = (blocks: Array<Record<string, unknown>>) =>
    blocks.filter((block) => block.type === 'section').map((block) => (block.text as { text: string }).text);

  it('renders the digest as one Block Kit message: header, owners with their certificates, footer', () => {
    expect(renderDigestSlack(digest)).toMatchSnapshot();
  });

  it('uses the email headline as the notification text', () => {
    expect(renderDigestSlack(digest).text).toBe('Daily digest: 3 certificates expiring (2 warning, 1 info)');
  });

  it('escapes mrkdwn control characters from owners and names', () => {
    const message = renderDigestSlack(expiryDigest('2026-06-01', [{ ...acm, owner: '<!channel> & co', name: '<b>' }]));
    const json = JSON.stringify(message.blocks);
    expect(json).toContain('&lt;!channel&gt; &amp; co');
    expect(json).not.toContain('<!channel>');
    expect(json).not.toContain('<b>');
  });

  it.each([
    ['many owners', 1000, (i: number) => `team-${i}`],
    ['one owner', 1000, () => 'platform'],
    ['a few owners', 300, (i: number) => `team-${i % 3}`],
  ])('stays within Slack limits with %s, summarizing the rest as "and N more"', (_, count, owner) => {
    const message = renderDigestSlack(expiryDigest('2026-06-01', many(count, owner)));

    expect(slackLimitProblems(message)).toEqual([]);
    expect(message.listed).toBeLessThan(count);
    expect(sections(message.blocks).at(-1)).toBe(`… and ${count - message.listed} more`);
    // Every listed certificate is in the message once, and the overflow counts the rest.
    const lines = sections(message.blocks).flatMap((text) => text.split('\n').filter((line) => line.includes('host-')));
    expect(lines).toHaveLength(message.listed);
  });

  it('splits an owner too long for one section into sections marked as continued', () => {
    const message = renderDigestSlack(
      expiryDigest(
        '2026-06-01',
        many(40, () => 'platform'),
      ),
    );

    const texts = sections(message.blocks);
    expect(message.listed).toBe(40);
    expect(texts.length).toBeGreaterThan(1);
    expect(texts[0]).toMatch(/^\*platform\* \(40\)\n/);
    expect(texts[1]).toMatch(/^\*platform\* \(40, continued\)\n/);
    expect(slackLimitProblems(message)).toEqual([]);
  });
});
