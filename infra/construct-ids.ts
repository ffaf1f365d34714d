/** A construct id from a configured name (`acm-org` → `AcmOrg`): the logical ids stay readable and stable. */
export const pascal = (name: string): string =>
  name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join('');
