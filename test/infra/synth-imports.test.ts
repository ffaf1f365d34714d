import { join } from 'node:path';
import { build } from 'esbuild';
import { REPO_ROOT } from '../../infra/function-bundling';

/**
 * What `cdk synth` loads, followed through every import from the CDK app and the package's entry point (esbuild's
 * metafile, packages left external): none of the functions' runtime code, and no Powertools, whose singletons
 * (Logger, Metrics) would be built at synth time. The lint rules (.ci/eslint.config.mjs) see one import at a time;
 * this sees where they lead.
 */
async function synthImports(): Promise<{ files: string[]; packages: string[] }> {
  const { metafile } = await build({
    entryPoints: [join(REPO_ROOT, 'infra/bin/app.ts'), join(REPO_ROOT, 'infra/index.ts')],
    bundle: true,
    write: false,
    outdir: 'unused',
    platform: 'node',
    packages: 'external',
    metafile: true,
    logLevel: 'silent',
  });
  const inputs = Object.entries(metafile.inputs);
  return {
    files: inputs.map(([file]) => file),
    packages: inputs.flatMap(([, input]) => input.imports.filter((i) => i.external).map((i) => i.path)),
  };
}

describe('what cdk synth loads', () => {
  it("imports none of the functions' code and no Powertools", async () => {
    const { files, packages } = await synthImports();

    expect(files).toContain('infra/certificate-inventory.ts');
    expect(files.filter((file) => file.startsWith('functions/'))).toEqual([]);
    expect(packages.filter((name) => name.startsWith('@aws-lambda-powertools/'))).toEqual([]);
  });
});
