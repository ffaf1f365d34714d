/**
 * SNS subscription filter policies, evaluated as SNS does on a message's attributes (FilterPolicyScope
 * `MessageAttributes`, the default), for the operators certwarden's templates use: exact strings and numbers, and
 * `exists`. Any other operator or scope throws, naming it, so a template that starts using one fails its test
 * until this evaluator learns it, rather than being judged by the wrong rule.
 *
 * The rules (SNS developer guide, "Amazon SNS message filtering"): every key of the policy must match (AND); a key
 * matches when the message's attribute matches any value of the key's list (OR); an attribute the message does not
 * carry matches nothing but `{ "exists": false }`; a `String.Array` attribute matches when any element does.
 */

/** A message attribute as Publish sends it. */
export interface MessageAttribute {
  DataType: 'String' | 'String.Array' | 'Number' | 'Binary';
  StringValue?: string;
}

export type FilterPolicy = Record<string, unknown[]>;

export function deliveredBySubscription(
  subscription: { FilterPolicy?: FilterPolicy; FilterPolicyScope?: string },
  attributes: Record<string, MessageAttribute>,
): boolean {
  const { FilterPolicy: policy, FilterPolicyScope: scope = 'MessageAttributes' } = subscription;
  if (scope !== 'MessageAttributes') throw new Error(`filter policy scope ${scope}: not evaluated here`);
  if (policy === undefined) return true;
  return Object.entries(policy).every(([key, conditions]) => {
    if (key.startsWith('$')) throw new Error(`filter policy operator ${key}: not evaluated here`);
    if (!Array.isArray(conditions)) throw new Error(`filter policy key ${key}: nested policies are body-scope only`);
    const values = valuesOf(attributes[key]);
    return conditions.some((condition) => matches(condition, values, key));
  });
}

/** The values a condition is compared with: none when the attribute is absent (or binary: never matched). */
function valuesOf(attribute: MessageAttribute | undefined): Array<string | number> | undefined {
  if (attribute === undefined || attribute.DataType === 'Binary') return undefined;
  const text = attribute.StringValue ?? '';
  if (attribute.DataType === 'Number') return [Number(text)];
  if (attribute.DataType === 'String.Array') return JSON.parse(text) as Array<string | number>;
  return [text];
}

function matches(condition: unknown, values: Array<string | number> | undefined, key: string): boolean {
  if (typeof condition === 'string' || typeof condition === 'number') {
    return values !== undefined && values.some((value) => value === condition);
  }
  if (condition !== null && typeof condition === 'object') {
    const [operator, ...others] = Object.keys(condition);
    if (operator === 'exists' && others.length === 0) {
      return (condition as { exists: boolean }).exists === (values !== undefined);
    }
    throw new Error(`filter policy key ${key}: operator ${Object.keys(condition).join(', ')} is not evaluated here`);
  }
  throw new Error(`filter policy key ${key}: condition ${JSON.stringify(condition)} is not evaluated here`);
}
