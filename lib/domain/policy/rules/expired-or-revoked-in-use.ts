import * as z from 'zod';
import { defineRule } from '../rule-definition';
import { compliant, notApplicable, violation, type Rule } from '../types';

const Params = z.strictObject({});
export type ExpiredOrRevokedInUseParams = z.infer<typeof Params>;

/** An expired or revoked certificate that something still uses or serves: clients are failing now. */
export const expiredOrRevokedInUse: Rule<ExpiredOrRevokedInUseParams> = (
  { certificate, location, revocation },
  _params,
  { now, inUse },
) => {
  if (!location) return notApplicable('no location: use is a property of a place');
  if (!inUse) return notApplicable('not in use');
  const expired = Date.parse(certificate.notAfter) < now.getTime();
  const revoked = revocation?.status === 'revoked';
  if (!expired && !revoked) return compliant;
  const usedBy = location.inUseBy?.length
    ? location.inUseBy
    : [location.locationId ?? location.sourceKind ?? 'its place'];
  const what = [
    ...(expired ? [`expired ${certificate.notAfter}`] : []),
    ...(revoked
      ? [
          `revoked${revocation.revokedAt ? ` ${revocation.revokedAt}` : ''}${revocation.reason ? ` (${revocation.reason})` : ''}`,
        ]
      : []),
  ];
  return violation(`${what.join(' and ')} but still in use by ${usedBy.join(', ')}`, {
    expired,
    revoked,
    notAfter: certificate.notAfter,
    ...(revoked ? { revokedAt: revocation.revokedAt ?? null, revocationReason: revocation.reason ?? null } : {}),
    inUseBy: usedBy,
  });
};

export const expiredOrRevokedInUseRule = defineRule({
  id: 'expired-or-revoked-in-use',
  title: 'No expired or revoked certificate in use',
  defaultSeverity: 'critical',
  enabledByDefault: true,
  informational: false,
  params: Params,
  defaults: {},
  evaluate: expiredOrRevokedInUse,
});
