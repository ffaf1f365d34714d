import * as z from 'zod/mini';

/** A required environment variable is missing or malformed; the message names the variable. */
export class EnvironmentError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

// zod's mini API throughout functions/: a bundle holds only the parts of it that it uses, and its schemas cost
// little to build at a cold start (docs/architecture.md, "Cold start"). The config's schemas (lib/domain) are
// zod's classic API; the two mix.

/**
 * Reads and validates a function's environment once, at module load, so that a misconfigured function fails
 * at its first cold start with the variable's name (`CERTWARDEN_TABLE is required`), never midway through work.
 */
export function loadEnv<T extends z.ZodMiniObject>(schema: T, env: NodeJS.ProcessEnv = process.env): z.infer<T> {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const name = issue.path.map(String).join('.');
    return env[name] === undefined ? `${name} is required` : `${name}: ${issue.message}`;
  });
  throw new EnvironmentError(problems.join('; '), { cause: parsed.error });
}

/** A variable holding JSON (a map of names to ARNs, thresholds): parsed, then validated by `inner`. */
export const jsonVariable = <T extends z.core.$ZodType>(inner: T) =>
  z.pipe(
    z.pipe(
      z.string(),
      z.transform((text: string, context) => {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          context.issues.push({ code: 'custom', message: 'expected JSON', input: text });
          return z.NEVER;
        }
      }),
    ),
    inner,
  );

export { secretArn, topicArn } from '../../lib/domain/aws-arns';
