/** The owner of a place when neither its tags nor its source name one. */
export const UNOWNED = 'unowned';

/** @default ['owner'] */
export const DEFAULT_OWNER_TAG_KEYS = ['owner'];

export interface OwnerSettings {
  /** Tag or label keys that name the owner, tried in order (case-insensitive). @default ['owner'] */
  ownerTagKeys?: string[];
  /** Owner of the source's places that carry no owner tag. @default 'unowned' */
  defaultOwner?: string;
}

/** The first owner tag that is set, else the source's default owner, else `unowned`. */
export function resolveOwner(tags: Record<string, string>, settings: OwnerSettings = {}): string {
  const byLowerKey = new Map(Object.entries(tags).map(([key, value]) => [key.toLowerCase(), value.trim()]));
  for (const key of settings.ownerTagKeys ?? DEFAULT_OWNER_TAG_KEYS) {
    const value = byLowerKey.get(key.toLowerCase());
    if (value) return value;
  }
  return settings.defaultOwner?.trim() || UNOWNED;
}
