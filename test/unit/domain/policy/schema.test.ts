import { compilePolicy, EXAMPLE_POLICY, PolicyError, RULE_IDS } from '../../../../lib/domain/policy';

const problemOf = (policy: unknown): string => {
  try {
    compilePolicy(policy);
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    return (error as Error).message;
  }
  throw new Error('expected the policy to be refused');
};

describe('policy validation', () => {
  it('accepts an empty policy (the recommended one) and the documented example', () => {
    expect(() => compilePolicy({})).not.toThrow();
    expect(() => compilePolicy(EXAMPLE_POLICY)).not.toThrow();
  });

  it.each([
    [
      'an unknown rule, listing the known ones',
      { rules: { 'rsa-min-keysize': {} } },
      `rules: unknown rule "rsa-min-keysize" (rules: ${RULE_IDS.join(', ')})`,
    ],
    [
      'a parameter out of range',
      { rules: { 'rsa-min-key-size': { params: { minBits: 100 } } } },
      'rules.rsa-min-key-size.params.minBits: Too small',
    ],
    [
      'a misspelt parameter',
      { rules: { 'max-validity': { params: { privateMaxDay: 90 } } } },
      'rules.max-validity.params: Unrecognized key: "privateMaxDay"',
    ],
    [
      'a misspelt setting',
      { rules: { 'no-wildcards': { enable: true } } },
      'rules.no-wildcards: Unrecognized key: "enable"',
    ],
    [
      'an unknown severity',
      { rules: { 'san-required': { severity: 'urgent' } } },
      'rules.san-required.severity: Invalid option',
    ],
    [
      'a bad domain pattern',
      { rules: { 'allowed-domains': { params: { patterns: ['a.*.com'] } } } },
      'rules.allowed-domains.params.patterns[0]: "a.*.com": a wildcard may only be the first label',
    ],
    [
      'a schedule out of order',
      {
        rules: {
          'max-validity': {
            params: {
              publicTlsSchedule: [
                { days: 90 },
                { from: '2027-01-01T00:00:00Z', days: 60 },
                { from: '2026-01-01T00:00:00Z', days: 30 },
              ],
            },
          },
        },
      },
      'rules.max-validity.params.publicTlsSchedule: steps after the first need a "from", in increasing order',
    ],
    [
      'a scope problem, naming the scope',
      { scopes: [{ name: 'prod', rules: { 'max-validity': { params: { privateMaxDays: 0 } } } }] },
      'scopes[0] ("prod").rules.max-validity.params.privateMaxDays: Too small',
    ],
    [
      'a scope match problem',
      { scopes: [{ match: { kinds: ['server'] }, rules: {} }] },
      'scopes[0].match.kinds[0]: Invalid option',
    ],
    [
      'duplicate scope names',
      {
        scopes: [
          { name: 'a', rules: {} },
          { name: 'a', rules: {} },
        ],
      },
      'scopes[1] ("a").name: duplicate scope name "a"',
    ],
    [
      'an exemption without a reason',
      { exemptions: [{ rules: ['*'], locations: ['x'], reason: ' ', expires: '2026-01-01' }] },
      'exemptions[0].reason: an exemption needs a reason',
    ],
    [
      'an exemption without an expiry',
      { exemptions: [{ rules: ['*'], locations: ['x'], reason: 'r' }] },
      'exemptions[0].expires: expected a date (2026-09-30) or an ISO 8601 date-time',
    ],
    [
      'an exemption for an unknown rule',
      { exemptions: [{ rules: ['rsa'], locations: ['x'], reason: 'r', expires: '2026-01-01' }] },
      'exemptions[0].rules[0]: unknown rule "rsa"',
    ],
    [
      'an exemption that names nothing',
      { exemptions: [{ rules: ['*'], reason: 'r', expires: '2026-01-01' }] },
      'exemptions[0]: an exemption names fingerprints, locations or a match',
    ],
    ['a misspelt top-level field', { scope: [] }, '(top level): Unrecognized key: "scope"'],
  ])('refuses %s, naming it', (_name, policy, expected) => {
    expect(problemOf(policy)).toContain(expected);
  });

  it('reports every problem at once', () => {
    const message = problemOf({
      rules: { 'rsa-min-key-size': { params: { minBits: 1 } }, 'san-required': { severity: 'x' } },
    });
    expect(message).toContain('rsa-min-key-size.params.minBits');
    expect(message).toContain('san-required.severity');
  });
});
