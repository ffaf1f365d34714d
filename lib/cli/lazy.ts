/* eslint-disable @typescript-eslint/no-require-imports -- require() on first use rather than import(): as lazy,
   and it loads these TypeScript modules the same under tsx's CommonJS loader (the dev launcher), Jest, and
   compiled to dist/. */

/**
 * What the commands run, each loaded when a command needs it: `--help`, `--version` and usage errors load none of
 * it, and a command loads only its own part (a provider's SDK only when a source of that provider is synced).
 */
export const lazy = {
  inspect: () => require('./commands/inspect') as typeof import('./commands/inspect'),
  sync: () => require('./commands/sync') as typeof import('./commands/sync'),
  scanEndpoints: () => require('./commands/scan-endpoints') as typeof import('./commands/scan-endpoints'),
  list: () => require('./commands/list') as typeof import('./commands/list'),
  demo: () => require('./commands/demo') as typeof import('./commands/demo'),
  policy: () => require('./commands/policy') as typeof import('./commands/policy'),
  policyFiles: () => require('./policy-files') as typeof import('./policy-files'),
  evaluate: () => require('./commands/evaluate') as typeof import('./commands/evaluate'),
  digest: () => require('./commands/digest') as typeof import('./commands/digest'),
  renew: () => require('./commands/renew') as typeof import('./commands/renew'),
  report: () => require('./commands/report') as typeof import('./commands/report'),
  revoke: () => require('./commands/revoke') as typeof import('./commands/revoke'),
  ct: () => require('./commands/ct') as typeof import('./commands/ct'),
  renewApproval: () => require('./commands/renew-approval') as typeof import('./commands/renew-approval'),
  inventory: () => require('./open-inventory') as typeof import('./open-inventory'),
  errors: () => require('../domain/errors') as typeof import('../domain/errors'),
  clock: () => require('../ports/clock') as typeof import('../ports/clock'),
  eventBridgePublisher: () =>
    require('../adapters/eventbridge-publisher') as typeof import('../adapters/eventbridge-publisher'),
};
