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
  testTimeout: 60_000,
};

export default config;
