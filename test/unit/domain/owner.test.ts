import { resolveOwner } from '../../../lib/domain/owner';

describe('resolveOwner', () => {
  it.each([
    [{ owner: 'payments' }, {}, 'payments'],
    [{ Owner: 'payments' }, {}, 'payments'],
    [{ team: 'web', owner: 'payments' }, { ownerTagKeys: ['team', 'owner'] }, 'web'],
    [{ team: ' ', owner: 'payments' }, { ownerTagKeys: ['team', 'owner'] }, 'payments'],
    [{ env: 'prod' }, { defaultOwner: 'platform' }, 'platform'],
    [{}, {}, 'unowned'],
    [{}, { defaultOwner: '' }, 'unowned'],
  ])('tags %j with %j → %s', (tags, settings, expected) => {
    expect(resolveOwner(tags, settings)).toBe(expected);
  });
});
