/**
 * Formats the configuration's classic schemas (config.ts) and the mini-API sections that deployed functions read
 * at start (ct-config.ts) both check: one pattern and one message each.
 */
export interface StringFormat {
  pattern: RegExp;
  message: string;
}

export const SOURCE_NAME: StringFormat = {
  pattern: /^[a-z0-9][a-z0-9-]{0,62}$/,
  message: 'use lowercase letters, digits and dashes (at most 63)',
};

export const SCHEDULE_EXPRESSION: StringFormat = {
  pattern: /^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(.+\))$/,
  message: 'expected rate(…) or cron(…)',
};
