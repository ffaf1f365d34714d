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
  /** A bound for a hung test, not a speed target: no test waits on real time (test/support/virtual-time.ts). */
  testTimeout: 60_000,
};

export default config;
