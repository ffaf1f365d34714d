import { Aws, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';

/**
 * Grants `actions` on `*` (actions IAM cannot scope to a resource) in a policy of their own on `role`, and
 * acknowledges the cdk-nag finding that `*` raises (AwsSolutions-IAM5[Resource::*]) on that policy alone. cdk-nag
 * names a wildcard resource by the resource only, so an acknowledgement on the role would also hide any `*` added
 * to it later (an `s3:GetObject` on `*`); here it covers these actions and nothing else.
 */
export function allowOnAnyResource(
  scope: Construct,
  id: string,
  role: iam.IRole,
  actions: string[],
  reason: string,
): iam.Policy {
  const policy = new iam.Policy(scope, id, {
    statements: [new iam.PolicyStatement({ actions: [...actions].sort(), resources: ['*'] })],
  });
  policy.attachToRole(role);
  Validations.of(policy).acknowledge({ id: 'AwsSolutions-IAM5[Resource::*]', reason });
  return policy;
}

/** The cdk-nag finding of a wildcard resource names tokens as `<AWS::Partition>`, `<AWS::AccountId>`, … */
export function nagResource(arn: string): string {
  return arn
    .replaceAll(Aws.PARTITION, '<AWS::Partition>')
    .replaceAll(Aws.ACCOUNT_ID, '<AWS::AccountId>')
    .replaceAll(Aws.REGION, '<AWS::Region>');
}

/**
 * Acknowledges, on `role`, each resource of `statements` that ends in a wildcard (`…:certificate/*`): ARNs made at
 * any time within a scope the configuration names, with `reason`.
 */
export function acknowledgeScopedWildcards(role: iam.IRole, statements: iam.PolicyStatement[], reason: string): void {
  for (const statement of statements) {
    const json = statement.toStatementJson() as { Resource: string | string[] };
    for (const resource of [json.Resource].flat().filter((arn) => arn.includes('*'))) {
      Validations.of(role).acknowledge({ id: `AwsSolutions-IAM5[Resource::${nagResource(resource)}]`, reason });
    }
  }
}
