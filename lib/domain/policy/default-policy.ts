import { compilePolicy, type CompiledPolicy } from './engine';
import type { PolicyConfigInput } from './schema';

/**
 * The recommended policy: every rule that needs no site-specific parameter, with its defaults. Rules that
 * need a list from you (allowed issuers, allowed domains) or are a matter of taste (no wildcards, no self-signed)
 * start disabled; a policy file enables them, globally or in a scope.
 */
export const RECOMMENDED_POLICY: CompiledPolicy = compilePolicy({});

/** An example policy file, as documentation and for tests: production scoped tighter, one exemption. */
export const EXAMPLE_POLICY: PolicyConfigInput = {
  version: 1,
  extends: 'recommended',
  publicIssuers: { subjects: ['CN=Example Public CA 1,O=Example Trust,C=US'] },
  rules: {
    'max-validity': { params: { privateMaxDays: 825 } },
    'required-ownership': { params: { requiredTags: ['application'] } },
    'allowed-domains': { severity: 'medium', params: { patterns: ['example.com', '**.example.com'] } },
  },
  scopes: [
    {
      name: 'production',
      match: { tags: { env: ['prod', 'production'] } },
      rules: {
        'no-self-signed': { severity: 'high' },
        'no-wildcards': { params: { allowed: ['*.cdn.example.com'] } },
        'max-validity': { params: { privateMaxDays: 398 } },
      },
    },
    {
      name: 'internal CAs',
      match: { kinds: ['ca'], issuerType: 'private' },
      rules: { 'rsa-min-key-size': { severity: 'critical', params: { caMinBits: 4096 } } },
    },
    {
      name: 'lab',
      match: { accounts: ['111111111111'] },
      rules: { 'required-ownership': { enabled: false } },
    },
  ],
  exemptions: [
    {
      id: 'SEC-1234',
      rules: ['rsa-min-key-size'],
      locations: ['aws-acm:arn:aws:acm:eu-west-1:222222222222:certificate/legacy-appliance'],
      reason: 'appliance firmware cannot load keys over 1024 bits; replacement ordered',
      expires: '2026-09-30',
      approvedBy: 'security@example.com',
    },
  ],
};
