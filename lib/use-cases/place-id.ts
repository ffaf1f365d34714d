import { CertwardenError } from '../domain/errors';
import { SOURCE_KINDS, locationIdOf } from '../ports/certificate-source';
import type { InventoryStore } from '../ports/inventory-store';

/** A place by its location id (`aws-acm:arn:…`) or by the provider's own id (the ARN, the Key Vault id). */
export async function placeIdOf(store: InventoryStore, location: string): Promise<string> {
  for (const candidate of [location, ...SOURCE_KINDS.map((kind) => locationIdOf(kind, location))]) {
    if (await store.getLocation(candidate)) return candidate;
  }
  throw new CertwardenError(`no place ${location} in the inventory (see certwarden list)`);
}
