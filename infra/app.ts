import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadConfig } from '../lib/adapters/config-file';
import { CertwardenStack } from './certwarden-stack';
import { MemberAccountRole } from './member-account-role';

export interface AppOptions {
  /** Path of the certwarden configuration. @default certwarden.config.ts or .json in the working directory, else none */
  configPath?: string;
  /** Working directory the configuration is looked for in. @default process.cwd() */
  cwd?: string;
  /** CDK app options (context, outdir), for tests. @default none */
  appProps?: ConstructorParameters<typeof App>[0];
}

/**
 * The certwarden CDK app: the main stack from the configuration, the member-account role stack, and
 * cdk-nag's AwsSolutions checks on every synth.
 *
 * Context: `certwarden:config` (a config path), `certwarden:stage` (a stage: its stacks are `Certwarden-<stage>`
 * and `CertwardenMemberAccountRole-<stage>`, and every fixed name starts with `certwarden-<stage>`).
 */
export function buildApp(options: AppOptions = {}) {
  const app = new App(options.appProps);
  const configPath = options.configPath ?? (app.node.tryGetContext('certwarden:config') as string | undefined);
  const stage = app.node.tryGetContext('certwarden:stage') as string | undefined;
  const { config } = loadConfig(configPath, options.cwd);
  const suffix = stage ? `-${stage}` : '';
  const main = new CertwardenStack(app, `Certwarden${suffix}`, {
    description: `certwarden${suffix}: multi-cloud certificate inventory`,
    config,
    stage,
  });
  const member = new MemberAccountRole(app, `CertwardenMemberAccountRole${suffix}`, {
    description: `certwarden${suffix}: read-only role the inventory sync assumes in a member account (StackSets)`,
    stage,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, main, member, config };
}
