// Lives under .ci/ because the design keeps the repository's top level fixed; `npm run lint` points at it.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** A relative import of one of certwarden's own layers, by the folder it names: `../adapters/x`, `../../lib/cli`. */
const layers = (message, ...names) => ({ regex: `^\\.\\.?/(.*/)?(${names.join('|')})(/|$)`, message });
/** An import of a package (the regex is matched against the import's text, case-insensitively). */
const packages = (message, ...prefixes) => ({ regex: `^(${prefixes.join('|')})`, message });

const PROVIDER_SDKS = [
  '@aws-sdk/',
  '@azure/',
  '@azure-rest/',
  '@google-cloud/',
  'google-auth-library',
  'google-gax',
  '@slack/',
];
const CDK = ['aws-cdk-lib', 'constructs', 'cdk-nag'];
const LAMBDA_RUNTIME = ['@aws-lambda-powertools/'];
const WHY = 'docs/architecture.md, "Layers"';

/** What each layer may not import: everything else is allowed. */
const LAYER_RULES = {
  'lib/domain': [
    packages(`the domain is pure: no SDK, CDK or Lambda runtime (${WHY})`, ...PROVIDER_SDKS, ...CDK, ...LAMBDA_RUNTIME),
    layers(
      `the domain imports nothing of certwarden outside itself (${WHY})`,
      'x509',
      'ports',
      'connectors',
      'adapters',
      'use-cases',
      'cli',
      'functions',
      'infra',
    ),
  ],
  'lib/x509': [
    packages(
      `x509 parses certificates: no SDK, CDK or Lambda runtime (${WHY})`,
      ...PROVIDER_SDKS,
      ...CDK,
      ...LAMBDA_RUNTIME,
    ),
    layers(
      `x509 builds on the domain only (${WHY})`,
      'ports',
      'connectors',
      'adapters',
      'use-cases',
      'cli',
      'functions',
      'infra',
    ),
  ],
  'lib/ports': [
    { regex: '^[^.]', message: `ports are interfaces: no package (${WHY})` },
    { regex: '^\\.\\./(?!domain(/|$))', message: `ports refer to the domain only (${WHY})` },
    {
      regex: '^\\.\\./domain(/|$)',
      allowTypeImports: true,
      message: `ports take the domain's types only: use \`import type\` (${WHY})`,
    },
  ],
  'lib/connectors': [
    packages(`a connector is a certificate source: no CDK or Lambda runtime (${WHY})`, ...CDK, ...LAMBDA_RUNTIME),
    layers(
      `connectors implement ports; they never reach adapters, use cases, the CLI, functions or infra (${WHY})`,
      'adapters',
      'use-cases',
      'cli',
      'functions',
      'infra',
    ),
  ],
  'lib/use-cases': [
    packages(
      `use cases orchestrate ports: no SDK, CDK or Lambda runtime; give the use case a port instead (${WHY})`,
      ...PROVIDER_SDKS,
      ...CDK,
      ...LAMBDA_RUNTIME,
    ),
    layers(
      `use cases see ports, never their implementations, the CLI, functions or infra (${WHY})`,
      'adapters',
      'connectors',
      'cli',
      'functions',
      'infra',
    ),
  ],
  'lib/adapters': [
    packages(`adapters implement ports: no CDK or Lambda runtime (${WHY})`, ...CDK, ...LAMBDA_RUNTIME),
    layers(
      `adapters never reach use cases, the CLI, functions or infra (${WHY})`,
      'use-cases',
      'cli',
      'functions',
      'infra',
    ),
  ],
  'lib/cli': [
    packages(`the CLI runs on a laptop: no CDK or Lambda runtime (${WHY})`, ...CDK, ...LAMBDA_RUNTIME),
    layers(`the CLI may use anything in lib/, but not functions/ or infra/ (${WHY})`, 'functions', 'infra'),
  ],
  functions: [
    packages(`functions run in Lambda: no CDK (${WHY})`, ...CDK),
    layers(
      `functions use use cases, adapters, connectors, ports, the domain and functions/shared only (${WHY})`,
      'x509',
      'cli',
      'infra',
    ),
    { regex: '^\\.\\./(?!shared/|\\.\\./)', message: `a function shares code through functions/shared only (${WHY})` },
  ],
  infra: [
    packages(`infra wires the functions; it does not run them: no Lambda runtime (${WHY})`, ...LAMBDA_RUNTIME),
    layers(
      `infra never imports the functions' runtime code, the CLI, use cases or connectors; constants both need live in lib/ (${WHY})`,
      'functions',
      'cli',
      'use-cases',
      'connectors',
    ),
  ],
};

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'cdk.out/**', '.certwarden/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', process: 'readonly', module: 'writable', __dirname: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      // The layer rules below use typescript-eslint's, which tells `import type` apart.
      'no-restricted-imports': 'off',
    },
  },
  // Dependency rules between the layers (docs/architecture.md, "Layers"). Each layer's whole list is in one
  // object below: in a flat config, a later object that matches the same file replaces a rule's options rather
  // than adding to them.
  ...Object.entries(LAYER_RULES).map(([layer, patterns]) => ({
    files: [`${layer}/**/*.ts`],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns }] },
  })),
);
