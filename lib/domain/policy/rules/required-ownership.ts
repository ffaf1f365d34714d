import * as z from 'zod/mini';
import { UNOWNED } from '../../owner';
import { defineRule } from '../rule-definition';
import { compliant, notApplicable, violation, type Rule } from '../types';

const Params = z.strictObject({
  /** An owner must be known: not absent and not `unowned`. @default true */
  requireOwner: z.boolean(),
  /** Tag keys that must be set to a non-empty value (case-insensitive keys), e.g. `application`. @default [] */
  requiredTags: z.array(z.string().check(z.minLength(1))),
});
export type RequiredOwnershipParams = z.infer<typeof Params>;

/** Someone owns it, and the tags the organisation relies on (application, cost centre…) are set. */
export const requiredOwnership: Rule<RequiredOwnershipParams> = ({ location }, { requireOwner, requiredTags }) => {
  if (!location) return notApplicable('no location: owner and tags are properties of a place');
  const owner = location.owner?.trim() || UNOWNED;
  const unowned = requireOwner && owner.toLowerCase() === UNOWNED;
  const missing = requiredTags.length ? missingTags(location.tags ?? {}, requiredTags) : [];
  if (!unowned && missing.length === 0) return compliant;
  const problems = [
    ...(unowned ? ['unowned (no owner tag and no default owner)'] : []),
    ...(missing.length ? [`missing tag${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`] : []),
  ];
  return violation(problems.join('; '), { owner, missingTags: missing });
};

/** Required keys (case-insensitive) that are absent or blank. */
function missingTags(tags: Record<string, string>, required: readonly string[]): string[] {
  const keys = Object.keys(tags);
  return required.filter((wanted) => {
    const lower = wanted.toLowerCase();
    return !keys.some((key) => key.toLowerCase() === lower && String(tags[key]).trim() !== '');
  });
}

export const requiredOwnershipRule = defineRule({
  id: 'required-ownership',
  title: 'Owned, with the required tags',
  defaultSeverity: 'medium',
  enabledByDefault: true,
  informational: false,
  params: Params,
  defaults: { requireOwner: true, requiredTags: [] },
  evaluate: requiredOwnership,
});
