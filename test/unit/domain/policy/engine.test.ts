import {
  compilePolicy,
  evaluatePolicy,
  RECOMMENDED_POLICY,
  usesOf,
  violatesAtOrAbove,
  worstSeverity,
  type PolicyConfigInput,
  type PolicyLocation,
  type ScopeMatch,
} from '../../../../lib/domain/policy';
import { DAY_MS, NOW, record, rsa } from './fixtures';

const weak = () => rsa(1024, { signatureAlgorithm: 'sha1WithRSAEncryption', signatureHash: 'SHA-1' });
const prod: PolicyLocation = {
  locationId: 'aws-acm:arn:1',
  source: 'prod-acm',
  sourceKind: 'aws-acm',
  account: '111111111111',
  owner: 'payments',
  tags: { Env: 'Prod', owner: 'payments' },
};
const evaluate = (policy: PolicyConfigInput, certificate = weak(), location?: PolicyLocation, now = NOW) =>
  evaluatePolicy(compilePolicy(policy), { certificate, location }, { now });
const ids = (violations: Array<{ ruleId: string }>) => violations.map((violation) => violation.ruleId);

describe('evaluatePolicy with the recommended policy', () => {
  it('runs the rules that need no site-specific parameters, each set by the built-in defaults', () => {
    const result = evaluatePolicy(RECOMMENDED_POLICY, { certificate: record() }, { now: NOW });
    expect(result.applied.map((applied) => applied.ruleId)).toEqual([
      'expired-or-revoked-in-use',
      'rsa-min-key-size',
      'allowed-ec-curves',
      'forbidden-key-algorithms',
      'unknown-key-algorithm',
      'weak-key',
      'forbidden-signature-hashes',
      'signature-algorithms-match',
      'max-validity',
      'serial-number-entropy',
      'sct-required',
      'revocation-pointers',
      'san-required',
      'eku-matches-use',
      'key-reuse',
      'required-ownership',
      'quantum-vulnerable',
      'manual-renewal-short-lifetime',
      'served-chain-valid',
    ]);
    expect(result.disabled.map((rule) => rule.ruleId)).toEqual([
      'allowed-issuers',
      'no-self-signed',
      'no-wildcards',
      'allowed-domains',
    ]);
    expect(result.applied.every((applied) => applied.scope.name === 'built-in')).toBe(true);
    expect(result.violations).toEqual([]);
  });

  it('reports each violation with its rule, severity, message and details', () => {
    const result = evaluatePolicy(RECOMMENDED_POLICY, { certificate: weak() }, { now: NOW });
    expect(result.violations).toEqual([
      {
        ruleId: 'rsa-min-key-size',
        severity: 'high',
        message: 'RSA key of 1024 bits; policy requires at least 2048 bits',
        details: { keySize: 1024, requiredBits: 2048, isCA: false },
      },
      expect.objectContaining({ ruleId: 'forbidden-signature-hashes', severity: 'high' }),
    ]);
  });

  it('keeps informational findings apart, as notices', () => {
    const result = evaluatePolicy(RECOMMENDED_POLICY, { certificate: record() }, { now: NOW });
    expect(ids(result.notices)).toEqual(['quantum-vulnerable']);
    expect(result.notices[0].severity).toBe('info');
  });

  it('passes the cross-certificate view to the key-reuse rule', () => {
    const mine = record();
    const other = record({
      publicKeySha256: mine.publicKeySha256,
      subject: 'CN=other.test',
      subjectCommonName: 'other.test',
      sans: { dns: ['other.test'], ip: [], email: [], uri: [] },
    });
    const result = evaluatePolicy(
      RECOMMENDED_POLICY,
      { certificate: mine },
      { now: NOW, sameKeyElsewhere: [mine, other] },
    );
    expect(ids(result.violations)).toEqual(['key-reuse']);
  });

  it('is pure: the same input gives the same output, and parameters cannot be changed through a result', () => {
    const certificate = weak();
    const first = evaluatePolicy(RECOMMENDED_POLICY, { certificate }, { now: NOW });
    const params = first.applied[1].params as { minBits: number };
    expect(() => {
      params.minBits = 1;
    }).toThrow(TypeError);
    expect(evaluatePolicy(RECOMMENDED_POLICY, { certificate }, { now: NOW })).toEqual(first);
  });
});

describe('rule settings', () => {
  it('naming a rule enables it; enabled: false switches it off', () => {
    const result = evaluate({ rules: { 'no-self-signed': {}, 'rsa-min-key-size': { enabled: false } } });
    expect(result.applied.map((applied) => applied.ruleId)).toContain('no-self-signed');
    expect(result.disabled).toContainEqual({ ruleId: 'rsa-min-key-size', scope: { index: -1, name: 'rules' } });
    expect(ids(result.violations)).toEqual(['forbidden-signature-hashes']);
  });

  it('extends: none runs only the rules the policy names', () => {
    const result = evaluate({ extends: 'none', rules: { 'rsa-min-key-size': {} } });
    expect(result.applied.map((applied) => applied.ruleId)).toEqual(['rsa-min-key-size']);
  });

  it('takes the severity and parameters the policy sets, keeping the other defaults', () => {
    const result = evaluate(
      { rules: { 'rsa-min-key-size': { severity: 'critical', params: { minBits: 4096 } } } },
      rsa(3072),
    );
    expect(result.violations).toEqual([expect.objectContaining({ ruleId: 'rsa-min-key-size', severity: 'critical' })]);
    expect(result.applied.find((applied) => applied.ruleId === 'rsa-min-key-size')?.params).toEqual({
      minBits: 4096,
      caMinBits: 3072,
    });
  });

  it('turns an informational rule into a violation when told to', () => {
    const result = evaluate({ rules: { 'quantum-vulnerable': { informational: false, severity: 'low' } } }, record());
    expect(ids(result.violations)).toEqual(['quantum-vulnerable']);
    expect(result.notices).toEqual([]);
  });
});

describe('scopes', () => {
  const scoped: PolicyConfigInput = {
    rules: { 'rsa-min-key-size': { severity: 'medium' } },
    scopes: [
      {
        name: 'prod',
        match: { tags: { env: 'prod' } },
        rules: { 'rsa-min-key-size': { severity: 'high', params: { minBits: 3072 } } },
      },
      {
        name: 'payments',
        match: { accounts: ['111111111111'] },
        rules: { 'rsa-min-key-size': { severity: 'critical' } },
      },
      {
        name: 'private CAs',
        match: { kinds: ['ca'], issuerType: 'private' },
        rules: { 'rsa-min-key-size': { enabled: false } },
      },
    ],
  };

  it('apply in order, later ones overriding earlier ones setting by setting', () => {
    const result = evaluate(scoped, rsa(2048), prod);
    const applied = result.applied.find((rule) => rule.ruleId === 'rsa-min-key-size')!;
    expect(applied.scope).toEqual({ index: 1, name: 'payments' });
    expect(applied.via.map((ref) => ref.name)).toEqual(['built-in', 'rules', 'prod', 'payments']);
    expect(applied.severity).toBe('critical');
    expect(applied.params).toEqual({ minBits: 3072, caMinBits: 3072 });
    expect(result.matchedScopes.map((scope) => scope.name)).toEqual(['prod', 'payments']);
    expect(result.violations).toEqual([expect.objectContaining({ ruleId: 'rsa-min-key-size', severity: 'critical' })]);
  });

  it('do not apply outside their match', () => {
    const result = evaluate(scoped, rsa(2048), { ...prod, account: '222222222222', tags: { env: 'dev' } });
    expect(result.matchedScopes).toEqual([]);
    expect(ids(result.violations)).toEqual([]);
  });

  it.each([
    ['a source', { sources: ['prod-acm'] }, true],
    ['another source', { sources: ['dev-acm'] }, false],
    ['a source kind', { sourceKinds: ['aws-acm', 'azure-key-vault'] }, true],
    ['an account', { accounts: ['111111111111'] }, true],
    ['a tag, keys and values case-insensitive', { tags: { ENV: 'prod' } }, true],
    ['a tag among several values', { tags: { env: ['staging', 'prod'] } }, true],
    ['any value of a tag', { tags: { env: '*' } }, true],
    ['a tag the place lacks', { tags: { team: '*' } }, false],
    ['a kind', { kinds: ['tls-server'] }, true],
    ['another kind', { kinds: ['ca', 'smime'] }, false],
    ['a public issuer', { issuerType: 'public' }, true],
    ['a private issuer', { issuerType: 'private' }, false],
    ['several criteria, all holding', { sources: ['prod-acm'], tags: { env: 'prod' }, kinds: ['tls-server'] }, true],
    ['several criteria, one failing', { sources: ['prod-acm'], tags: { env: 'dev' } }, false],
    ['nothing: every certificate', {}, true],
  ] as Array<[string, ScopeMatch, boolean]>)('match on %s: %s', (_name, match, expected) => {
    const result = evaluate({ scopes: [{ name: 's', match, rules: { 'no-self-signed': {} } }] }, record(), prod);
    expect(result.matchedScopes.length === 1).toBe(expected);
  });

  it('that name places never match a certificate evaluated without one', () => {
    const result = evaluate({
      scopes: [
        { match: { sources: ['prod-acm'] }, rules: {} },
        { match: { tags: { env: '*' } }, rules: {} },
      ],
    });
    expect(result.matchedScopes).toEqual([]);
  });

  it('are named by index when they have no name', () => {
    const result = evaluate({ scopes: [{ rules: { 'no-self-signed': {} } }] });
    expect(result.matchedScopes).toEqual([{ index: 0, name: 'scopes[0]' }]);
  });
});

describe('exemptions', () => {
  const certificate = weak();
  const exempt = (expires: string, more = {}): PolicyConfigInput => ({
    exemptions: [
      {
        id: 'SEC-1',
        rules: ['rsa-min-key-size'],
        fingerprints: [certificate.fingerprintSha256],
        reason: 'legacy appliance',
        expires,
        ...more,
      },
    ],
  });

  it('move a covered violation to exemptions, with the reason and expiry: reported, never silent', () => {
    const result = evaluate(exempt('2026-09-30'), certificate);
    expect(ids(result.violations)).toEqual(['forbidden-signature-hashes']);
    expect(result.exemptions).toEqual([
      {
        violation: expect.objectContaining({ ruleId: 'rsa-min-key-size', severity: 'high' }),
        exemption: { index: 0, id: 'SEC-1', reason: 'legacy appliance', expiresAt: '2026-10-01T00:00:00.000Z' },
      },
    ]);
  });

  it.each([
    ['the last second of the expiry date', '2026-06-01T23:59:59Z', 'exempted'],
    ['the day after the expiry date', '2026-06-02T00:00:00Z', 'violation'],
  ])('with a date, last through that day (UTC): at %s the finding is %s', (_name, now, expected) => {
    const result = evaluate(exempt('2026-06-01'), certificate, undefined, new Date(now));
    expect(result.exemptions.length === 1 ? 'exempted' : 'violation').toBe(expected);
  });

  it('no longer apply once expired, and the violation says which exemption expired', () => {
    const result = evaluate(exempt('2026-05-31T12:00:00Z'), certificate);
    expect(result.exemptions).toEqual([]);
    expect(result.violations[0]).toMatchObject({
      ruleId: 'rsa-min-key-size',
      expiredExemption: { id: 'SEC-1', expiresAt: '2026-05-31T12:00:00.000Z' },
    });
  });

  it('match fingerprints written with colons and in upper case', () => {
    const colons = certificate.fingerprintSha256.toUpperCase().match(/../g)!.join(':');
    const policy: PolicyConfigInput = {
      exemptions: [{ rules: ['*'], fingerprints: [colons], reason: 'r', expires: '2027-01-01' }],
    };
    expect(evaluate(policy, certificate).violations).toEqual([]);
  });

  it('cover places by location id or by scope criteria, and all rules with "*"', () => {
    const byLocation: PolicyConfigInput = {
      exemptions: [{ rules: ['*'], locations: ['aws-acm:arn:1'], reason: 'r', expires: '2027-01-01' }],
    };
    expect(ids(evaluate(byLocation, certificate, prod).exemptions.map((entry) => entry.violation))).toEqual([
      'rsa-min-key-size',
      'forbidden-signature-hashes',
    ]);
    const byTag: PolicyConfigInput = {
      exemptions: [
        { rules: ['forbidden-signature-hashes'], match: { tags: { env: 'prod' } }, reason: 'r', expires: '2027-01-01' },
      ],
    };
    expect(ids(evaluate(byTag, certificate, prod).violations)).toEqual(['rsa-min-key-size']);
    expect(ids(evaluate(byTag, certificate, { ...prod, tags: {} }).violations)).toHaveLength(2);
  });

  it('do not cover other rules or other certificates', () => {
    expect(evaluate(exempt('2027-01-01'), weak()).exemptions).toEqual([]);
  });
});

describe('usesOf', () => {
  it.each([
    ['nothing known', {}, [], false],
    ['a load balancer using it', { inUseBy: ['arn:lb'] }, ['tls-server'], true],
    ['a source kind alone (no use known)', { sourceKind: 'aws-acm' }, [], false],
    ['explicit uses', { uses: ['tls-client'] }, ['tls-client'], true],
    ['a removed place', { inUseBy: ['arn:lb'], status: 'removed' }, [], false],
  ] as const)('%s', (_name, location, uses, inUse) => {
    expect(usesOf(location as PolicyLocation)).toEqual({ uses, inUse });
  });
});

describe('severity helpers', () => {
  const at = (...severities: Array<'info' | 'low' | 'medium' | 'high' | 'critical'>) =>
    severities.map((severity) => ({ ruleId: 'r', severity, message: '', details: {} }));

  it('find the worst severity', () => {
    expect(worstSeverity(at('low', 'critical', 'medium'))).toBe('critical');
    expect(worstSeverity([])).toBeNull();
  });

  it.each([
    [['info'], 'low', false],
    [['low'], 'low', true],
    [['medium'], 'high', false],
    [['info', 'critical'], 'high', true],
  ] as const)('violations %j at or above %s: %s', (severities, threshold, expected) => {
    expect(violatesAtOrAbove(at(...severities), threshold)).toBe(expected);
  });
});

it('judges expiry in use at the context clock (a fixed one here)', () => {
  const certificate = record({ notAfter: new Date(NOW.getTime() + DAY_MS).toISOString() });
  const inUse = { ...prod, inUseBy: ['arn:lb'] };
  expect(ids(evaluate({}, certificate, inUse).violations)).toEqual([]);
  expect(ids(evaluate({}, certificate, inUse, new Date(NOW.getTime() + 2 * DAY_MS)).violations)).toEqual([
    'expired-or-revoked-in-use',
  ]);
});

it('counts a certificate being deployed as in use, with or without a place', () => {
  const expired = record({ notAfter: new Date(NOW.getTime() - DAY_MS).toISOString() });
  const judge = (location?: PolicyLocation) =>
    ids(
      evaluatePolicy(RECOMMENDED_POLICY, { certificate: expired, location }, { now: NOW, deploying: true }).violations,
    );
  expect(ids(evaluate({}, expired).violations)).toEqual([]);
  expect(judge()).toEqual(['expired-or-revoked-in-use']);
  expect(judge({ locationId: 'cli', tags: {}, owner: 'web' })).toEqual(['expired-or-revoked-in-use']);
});
