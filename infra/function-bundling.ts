import { extname, join } from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { renewerPackagesOf } from '../lib/ports/certificate-renewer';
import { OPTIONAL_PROVIDER_PACKAGES, SOURCE_KINDS, type SourceKind } from '../lib/ports/certificate-source';

/** Repository root, or dist/ in the published package: infra/ sits one level below it either way. */
export const REPO_ROOT = join(__dirname, '..');

/**
 * Where the handlers' TypeScript sources are: the repository, or the published package, which ships lib/ and
 * functions/ as sources beside dist/ so that the user's esbuild bundles exactly what `cdk synth` bundles here
 * (from compiled CommonJS it could not drop the SDKs' unused exports: measured, twice the size).
 */
const SOURCE_ROOT = extname(__filename) === '.ts' ? REPO_ROOT : join(REPO_ROOT, '..');

const handler = (folder: string) => join(SOURCE_ROOT, 'functions', folder, 'handler.ts');

/** The handlers the construct deploys, by role; each exports `handler`. */
export const FUNCTION_ENTRIES = {
  syncPlanner: handler('sync-planner'),
  syncWorker: handler('sync-worker'),
  inventoryMetrics: handler('inventory-metrics'),
  evaluate: handler('evaluate'),
  emailNotifier: handler('email-notifier'),
  slackNotifier: handler('slack-notifier'),
  securityHubNotifier: handler('security-hub-notifier'),
  digest: handler('digest'),
  siemFormat: handler('siem-format'),
  ctMonitor: handler('ct-monitor'),
  reportPack: handler('report-pack'),
  renew: handler('renew'),
} as const;
export type FunctionRole = keyof typeof FUNCTION_ENTRIES;

/** The newest Node.js runtime aws-cdk-lib offers (cdk-nag's AwsSolutions-L1 checks for it). */
export const LAMBDA_RUNTIME = lambda.Runtime.NODEJS_24_X;
export const ESBUILD_TARGET = 'node24';

/**
 * Packages no deployed function loads, left out of every bundle. node-forge (~300 KB minified, a third of a sync
 * worker's bundle) only opens PKCS#12 files, which only local-files sources hold, and those are synced by the CLI
 * (the construct refuses them); lib/x509/pkcs12.ts turns its absence into a parse error that says so.
 */
export const LEFT_OUT_OF_BUNDLES = ['node-forge'];

/**
 * How every handler is bundled: by the esbuild in node_modules (never Docker), minified, one CommonJS file
 * with its dependencies, the AWS SDK included, so the code runs against the SDK versions it was tested with
 * rather than whatever the runtime ships, and a cold start reads one file instead of hundreds. Packages' ES
 * module builds are preferred (`module` before `main`): esbuild can drop their unused exports, which it cannot
 * do in CommonJS builds; measured, that is 20% off the planner's bundle and 15% off its cold load.
 */
export const BUNDLING: BundlingOptions = {
  forceDockerBundling: false,
  minify: true,
  sourceMap: false,
  target: ESBUILD_TARGET,
  format: OutputFormat.CJS,
  mainFields: ['module', 'main'],
  bundleAwsSDK: true,
  externalModules: [...LEFT_OUT_OF_BUNDLES],
};

/**
 * What the renew function's bundle leaves out for a deployment's sources: every optional provider package but those
 * their renewers load (renewerPackagesOf). The renew handler reaches the providers through lib/connectors/from-config.ts,
 * which names every kind's, so without this an ACM-only app would have to install Azure's, Google's, IAM's and
 * IoT's SDKs to synthesize, and the function would carry them all.
 */
export function leftOutOfRenew(
  sources: ReadonlyArray<{ kind: SourceKind; issuingCertificateAuthorities?: readonly string[] }>,
): string[] {
  const used = new Set(sources.flatMap((source) => renewerPackagesOf(source)));
  const optional = new Set(Object.values(OPTIONAL_PROVIDER_PACKAGES).flat());
  return [...optional].filter((name) => !used.has(name)).sort();
}

/** The deployment's sources and policy, beside the sync functions' bundles (functions/shared/deployment.ts). */
export const DEPLOYMENT_FILE = 'certwarden-deployment.json';

/**
 * A sync worker syncs one source kind, so its bundle holds that kind's provider SDK only
 * (lib/connectors/from-config.ts folds its other providers away on this definition). With `deploymentFile`,
 * that file is copied into the bundle's directory as DEPLOYMENT_FILE: part of the asset (its hash included),
 * with no size limit but Lambda's. `leftOut` packages are not bundled (leftOutOfRenew): loading one fails.
 */
export function bundlingFor(
  kind?: SourceKind,
  deploymentFile?: string,
  leftOut: readonly string[] = [],
): BundlingOptions {
  const bundling: BundlingOptions = {
    ...BUNDLING,
    ...(kind !== undefined && { define: bundledKindDefine(kind) }),
    externalModules: [...LEFT_OUT_OF_BUNDLES, ...leftOut],
  };
  if (deploymentFile === undefined) return bundling;
  return {
    ...bundling,
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      afterBundling: (_input: string, output: string) => [copyCommand(deploymentFile, join(output, DEPLOYMENT_FILE))],
    },
  };
}

/** A shell command copying one file (local bundling runs its hooks in bash, or cmd on Windows). */
function copyCommand(from: string, to: string): string {
  return process.platform === 'win32'
    ? `copy /Y "${from}" "${to}"`
    : `cp ${JSON.stringify(from)} ${JSON.stringify(to)}`;
}

const bundledKindDefine = (kind: SourceKind) => ({ 'process.env.CERTWARDEN_BUNDLED_KIND': JSON.stringify(kind) });

/** The same bundling for esbuild's own API (tests, bench), so they measure what `cdk synth` deploys. */
export function esbuildOptionsFor(entry: string, outfile: string, kind?: SourceKind, leftOut: readonly string[] = []) {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node' as const,
    target: ESBUILD_TARGET,
    format: 'cjs' as const,
    minify: BUNDLING.minify,
    sourcemap: BUNDLING.sourceMap,
    mainFields: BUNDLING.mainFields,
    define: kind === undefined ? undefined : bundledKindDefine(kind),
    external: [...(BUNDLING.externalModules ?? []), ...leftOut],
    absWorkingDir: REPO_ROOT,
    logLevel: 'error' as const,
    metafile: true,
  };
}

/** One deployed bundle: a handler, and for a sync worker the source kind it is bundled for. */
export interface DeployedBundle {
  /** `syncPlanner`, `syncWorker:aws-acm`, …: how tests and the bench name it. */
  name: string;
  role: FunctionRole;
  kind?: SourceKind;
  /** Packages it leaves out (the renew function: leftOutOfRenew). */
  leftOut?: readonly string[];
}

/** The renew bundle tests and the bench measure: an ACM deployment's, Private CA re-issue included. */
const RENEWED_BY_MEASURED_DEPLOYMENT = [
  {
    kind: 'aws-acm' as const,
    issuingCertificateAuthorities: ['arn:aws:acm-pca:eu-west-1:111111111111:certificate-authority/ca'],
  },
];

/** Source kinds a Lambda can sync (local-files is the CLI's). */
export const DEPLOYABLE_SOURCE_KINDS = SOURCE_KINDS.filter(
  (kind): kind is Exclude<SourceKind, 'local-files'> => kind !== 'local-files',
);

/** Every bundle the construct can deploy: each role once, the sync worker once per deployable kind. */
export const DEPLOYED_BUNDLES: DeployedBundle[] = (Object.keys(FUNCTION_ENTRIES) as FunctionRole[]).flatMap(
  (role): DeployedBundle[] =>
    role === 'syncWorker'
      ? DEPLOYABLE_SOURCE_KINDS.map((kind) => ({ name: `${role}:${kind}`, role, kind }))
      : role === 'renew'
        ? [{ name: role, role, leftOut: leftOutOfRenew(RENEWED_BY_MEASURED_DEPLOYMENT) }]
        : [{ name: role, role }],
);
