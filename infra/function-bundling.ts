import { join } from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';

/** Repository root: infra/ sits one level below it. */
export const REPO_ROOT = join(__dirname, '..');

/** The handlers the construct deploys, by role; each exports `handler`. */
export const FUNCTION_ENTRIES = {
  syncPlanner: join(REPO_ROOT, 'functions/sync-planner/handler.ts'),
  syncWorker: join(REPO_ROOT, 'functions/sync-worker/handler.ts'),
  inventoryMetrics: join(REPO_ROOT, 'functions/inventory-metrics/handler.ts'),
} as const;
export type FunctionRole = keyof typeof FUNCTION_ENTRIES;

/** The newest Node.js runtime aws-cdk-lib offers (cdk-nag's AwsSolutions-L1 checks for it). */
export const LAMBDA_RUNTIME = lambda.Runtime.NODEJS_24_X;
export const ESBUILD_TARGET = 'node24';

/**
 * How every handler is bundled: by the esbuild in node_modules (never Docker), minified, one CommonJS file
 * with its dependencies, the AWS SDK included, so the code runs against the SDK versions it was tested with
 * rather than whatever the runtime ships, and a cold start reads one file instead of hundreds.
 */
export const BUNDLING: BundlingOptions = {
  forceDockerBundling: false,
  minify: true,
  sourceMap: false,
  target: ESBUILD_TARGET,
  format: OutputFormat.CJS,
  bundleAwsSDK: true,
  externalModules: [],
};

/** The same bundling for esbuild's own API (tests, bench), so they measure what `cdk synth` deploys. */
export function esbuildOptionsFor(entry: string, outfile: string) {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node' as const,
    target: ESBUILD_TARGET,
    format: 'cjs' as const,
    minify: BUNDLING.minify,
    sourcemap: BUNDLING.sourceMap,
    external: [...(BUNDLING.externalModules ?? [])],
    absWorkingDir: REPO_ROOT,
    logLevel: 'error' as const,
    metafile: true,
  };
}
