import * as z from 'zod/mini';
import { defineRule } from '../rule-definition';
import { compliant, notApplicable, violation, type Rule } from '../types';

const Params = z.strictObject({});
export type ExpiredOrRevokedInUseParams = z.infer<typeof Params>;

/**
 * A certificate out of its validity period (expired, or not yet valid) or revoked that something uses or serves, or
 * that is about to be deployed (`context.deploying`): clients are failing now, or will as soon as it is in place.
 */
export const expiredOrRevokedInUse: Rule<ExpiredOrRevokedInUseParams> = (
  { certificate, location, revocation },
  _params,
  { now, inUse, deploying },
) => {
  if (!inUse) return notApplicable(location ? 'not in use' : 'no location: use is a property of a place');
  // Valid from notBefore through notAfter inclusive (RFC 5280 §4.1.2.5).
  const expired = Date.parse(certificate.notAfter) < now.getTime();
  const notYetValid = Date.parse(certificate.notBefore) > now.getTime();
  const revoked = revocation?.status === 'revoked';
  if (!expired && !notYetValid && !revoked) return compliant;
  const what = [
    ...(expired ? [`expired ${certificate.notAfter}`] : []),
    ...(notYetValid ? [`not valid before ${certificate.notBefore}`] : []),
    ...(revoked
      ? [
          `revoked${revocation.revokedAt ? ` ${revocation.revokedAt}` : ''}${revocation.reason ? ` (${revocation.reason})` : ''}`,
        ]
      : []),
  ].join(' and ');
  const usedBy = location?.inUseBy?.length
    ? location.inUseBy
    : deploying
      ? []
      : [location?.locationId ?? location?.sourceKind ?? 'its place'];
  const message = usedBy.length
    ? `${what} but ${notYetValid && !expired && !revoked ? 'already' : 'still'} in use by ${usedBy.join(', ')}`
    : `${what}: clients refuse it once deployed`;
  return violation(message, {
    expired,
    notYetValid,
    revoked,
    notBefore: certificate.notBefore,
    notAfter: certificate.notAfter,
    ...(revoked ? { revokedAt: revocation.revokedAt ?? null, revocationReason: revocation.reason ?? null } : {}),
    inUseBy: usedBy,
    ...(deploying ? { deploying: true } : {}),
  });
};

export const expiredOrRevokedInUseRule = defineRule({
  id: 'expired-or-revoked-in-use',
  title: 'No expired, not-yet-valid or revoked certificate in use or being deployed',
  defaultSeverity: 'critical',
  enabledByDefault: true,
  informational: false,
  params: Params,
  defaults: {},
  evaluate: expiredOrRevokedInUse,
});
