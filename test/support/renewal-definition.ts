import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CertificateInventory, type CertificateInventoryProps } from '../../infra/certificate-inventory';

// A synthesized template is untyped JSON; the tests read it as such.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** An Amazon States Language state, as the tests read it. */
export type AslState = Json;

/**
 * The renewal workflow's definition as Step Functions gets it: the template's DefinitionString (an Fn::Join of text
 * and tokens) with each token written as `<Ref Id>` or `<GetAtt Id.Attr>`, parsed. What the handler tests send the
 * renew function is taken from here (each state's Parameters.Payload), so the two cannot drift apart.
 */
export function renewalDefinition(template: Json): { States: Record<string, AslState>; StartAt: string } {
  const [, machine] = Object.entries(template.Resources as Record<string, Json>).find(
    ([, resource]) => resource.Type === 'AWS::StepFunctions::StateMachine',
  )!;
  const definition = machine.Properties.DefinitionString;
  const [separator, parts] = definition['Fn::Join'] as [string, Json[]];
  const text = parts
    .map((part: Json) =>
      typeof part === 'string'
        ? part
        : part.Ref
          ? `<Ref ${part.Ref}>`
          : part['Fn::GetAtt']
            ? `<GetAtt ${part['Fn::GetAtt'].join('.')}>`
            : '<token>',
    )
    .join(separator);
  return JSON.parse(text);
}

/** A stack holding one CertificateInventory, synthesized without bundling, and its template. */
export function inventoryTemplate(props: CertificateInventoryProps): { stack: Stack; template: Json } {
  const stack = new Stack(undefined, 'Test', { env: { account: '111111111111', region: 'eu-west-1' } });
  stack.node.setContext('aws:cdk:bundling-stacks', []);
  new CertificateInventory(stack, 'Inventory', { renewalWorkflow: true, ...props });
  return { stack, template: Template.fromStack(stack).toJSON() };
}

/** The function a Task state invokes (its Resource, or the FunctionName of a `lambda:invoke` integration). */
export const functionOf = (state: AslState): string => state.Parameters?.FunctionName ?? state.Resource;

/**
 * What a Task state sends the renew function, as Step Functions builds it from the state's Payload template: each
 * `key.$` path read from `input` (a `$.a.b` path or `$` itself), the task token filled in.
 */
export function payloadOf(state: AslState, input: Json, taskToken = 'token-1'): Json {
  // A task that returns the function's payload alone names the function as its Resource and sends Parameters.
  const template = state.Parameters.Payload ?? state.Parameters;
  const read = (path: string): Json => {
    if (path === '$$.Task.Token') return taskToken;
    if (path === '$') return input;
    return path
      .replace(/^\$\./, '')
      .split('.')
      .reduce((value: Json, key) => value?.[key], input);
  };
  const fill = (value: Json): Json =>
    Object.fromEntries(
      Object.entries(value).map(([key, inner]) =>
        key.endsWith('.$')
          ? [key.slice(0, -2), read(inner as string)]
          : [key, inner && typeof inner === 'object' ? fill(inner) : inner],
      ),
    );
  return fill(template);
}
