import * as z from 'zod/mini';

// Light on purpose: the functions validate their environment with these without loading the whole config, and in
// zod's mini API, which a bundle takes only the parts it uses of (docs/architecture.md, "Cold start").

/** A Secrets Manager secret ARN (the config's secrets, a function's `…_SECRET_ARN`). */
export const secretArn = z
  .string()
  .check(
    z.regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/, 'expected a Secrets Manager secret ARN'),
  );

/** An SNS topic ARN (`arn:<partition>:sns:<region>:<account>:<name>`). */
export const topicArn = z
  .string()
  .check(z.regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w.-]+$/, 'expected an SNS topic ARN'));
