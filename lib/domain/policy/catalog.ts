import type { RuleDefinition } from './rule-definition';
import { allowedDomainsRule } from './rules/allowed-domains';
import { allowedEcCurvesRule } from './rules/allowed-ec-curves';
import { allowedIssuersRule } from './rules/allowed-issuers';
import { ekuMatchesUseRule } from './rules/eku-matches-use';
import { expiredOrRevokedInUseRule } from './rules/expired-or-revoked-in-use';
import { forbiddenKeyAlgorithmsRule } from './rules/forbidden-key-algorithms';
import { forbiddenSignatureHashesRule } from './rules/forbidden-signature-hashes';
import { keyReuseRule } from './rules/key-reuse';
import { manualRenewalShortLifetimeRule } from './rules/manual-renewal-short-lifetime';
import { maxValidityRule } from './rules/max-validity';
import { noSelfSignedRule } from './rules/no-self-signed';
import { noWildcardsRule } from './rules/no-wildcards';
import { quantumVulnerableRule } from './rules/quantum-vulnerable';
import { requiredOwnershipRule } from './rules/required-ownership';
import { revocationPointersRule } from './rules/revocation-pointers';
import { rsaMinKeySizeRule } from './rules/rsa-min-key-size';
import { sanRequiredRule } from './rules/san-required';
import { sctRequiredRule } from './rules/sct-required';
import { serialNumberEntropyRule } from './rules/serial-number-entropy';
import { servedChainValidRule } from './rules/served-chain-valid';
import { signatureAlgorithmsMatchRule } from './rules/signature-algorithms-match';
import { unknownKeyAlgorithmRule } from './rules/unknown-key-algorithm';
import { weakKeyRule } from './rules/weak-key';

/** Every built-in rule, in the order the engine runs and reports them. */
export const RULES: readonly RuleDefinition[] = Object.freeze([
  expiredOrRevokedInUseRule,
  rsaMinKeySizeRule,
  allowedEcCurvesRule,
  forbiddenKeyAlgorithmsRule,
  unknownKeyAlgorithmRule,
  weakKeyRule,
  forbiddenSignatureHashesRule,
  signatureAlgorithmsMatchRule,
  maxValidityRule,
  serialNumberEntropyRule,
  sctRequiredRule,
  revocationPointersRule,
  allowedIssuersRule,
  noSelfSignedRule,
  sanRequiredRule,
  noWildcardsRule,
  allowedDomainsRule,
  ekuMatchesUseRule,
  keyReuseRule,
  requiredOwnershipRule,
  quantumVulnerableRule,
  manualRenewalShortLifetimeRule,
  servedChainValidRule,
] as RuleDefinition[]);

export const RULE_IDS: readonly string[] = RULES.map((rule) => rule.id);

export const ruleById = (id: string): RuleDefinition | undefined => RULES.find((rule) => rule.id === id);
