import * as z from 'zod';

// Light on purpose: the functions validate their environment with these without loading the whole config.

/** A Secrets Manager secret ARN (the config's secrets, a function's `…_SECRET_ARN`). */
export const secretArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/, 'expected a Secrets Manager secret ARN');

/** An SNS topic ARN (`arn:<partition>:sns:<region>:<account>:<name>`). */
export const topicArn = z.string().regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w.-]+$/, 'expected an SNS topic ARN');
