import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { installProduct, packProduct, type InstalledProduct, type PackedProduct } from '../support/packed-install';

let made: Promise<{ packed: PackedProduct; installed: InstalledProduct }> | undefined;

/**
 * The product as users run it, for every section that times the `certwarden` command: `npm pack` (which builds
 * the JavaScript) installed offline into an empty project. Made once per process, since packing and installing take
 * most of a minute, and removed when the process exits.
 */
export function installedProduct(): Promise<{ packed: PackedProduct; installed: InstalledProduct }> {
  made ??= (async () => {
    const packed = await packProduct();
    const installed = await installProduct(packed.tarball);
    process.once('exit', () => {
      rmSync(installed.dir, { recursive: true, force: true });
      rmSync(dirname(packed.tarball), { recursive: true, force: true });
    });
    return { packed, installed };
  })();
  return made;
}
