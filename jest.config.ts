import type { Config } from 'jest';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/**
 * ts-jest transpiling file by file (isolatedModules): type checking is `npm run typecheck`'s job, and this keeps a
 * CDK test file to seconds. Not @swc/jest: its platform binaries are not all on the registry mirror CI installs
 * from, and `npm ci` refuses a lockfile that misses them.
 */
const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { isolatedModules: true, diagnostics: false }] },
  setupFiles: ['<rootDir>/test/support/setup-env.ts'],
  /**
   * Two workers, not jest's default of cores - 1 (one, in band, on the 2-core machines the suite runs on): measured
   * back to back beside two busy loops, the suite without the CLI's and x509's files took 173 s with two workers
   * and 246 s with one (docs/benchmarks.md, "Test suite"). Much of a test's time is waiting on sockets, child
   * processes and esbuild, which the other worker fills, and two workers get a larger share of a loaded machine.
   */
  maxWorkers: 2,
  /**
   * A worker whose heap passes this after a test file is replaced by a fresh one. Without it each worker ended the
   * suite at ~1.4 GB RSS (a ~680 MB heap: every file's module registry accumulates, and the CDK files load
   * aws-cdk-lib each), and tearing such a process down took 570–660 ms after its last handle had closed, past the
   * 500 ms jest-worker waits: "A worker process has failed to exit gracefully" on every full run, with no handle
   * left open (both workers reached `exit` 5 ms after jest's end message). Measured on full runs: no limit 400 s
   * and the warning; 512MB 373 s and the warning; 256MB 366 s and none.
   */
  workerIdleMemoryLimit: '256MB',
  /** A bound for a hung test, not a speed target: no test waits on real time (test/support/virtual-time.ts). */
  testTimeout: 60_000,
};

export default config;
