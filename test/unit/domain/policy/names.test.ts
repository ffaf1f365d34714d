import { certificateNames, domainPatternMatches } from '../../../../lib/domain/policy';
import { record } from './fixtures';

describe('domain patterns', () => {
  it.each([
    ['example.com', 'example.com', true],
    ['example.com', 'EXAMPLE.com.', true],
    ['example.com', 'www.example.com', false],
    ['*.example.com', 'www.example.com', true],
    ['*.example.com', '*.example.com', true],
    ['*.example.com', 'a.b.example.com', false],
    ['*.example.com', 'example.com', false],
    ['**.example.com', 'a.b.example.com', true],
    ['**.example.com', 'example.com', false],
    ['**.example.com', 'badexample.com', false],
  ])('%s matches %s: %s', (pattern, name, expected) => {
    expect(domainPatternMatches(pattern, name)).toBe(expected);
  });
});

describe('certificateNames', () => {
  it('are the DNS and IP SANs, or the common name without them', () => {
    expect(
      certificateNames(record({ sans: { dns: ['A.example.com'], ip: ['192.0.2.1'], email: [], uri: [] } })),
    ).toEqual(['a.example.com', '192.0.2.1']);
    expect(
      certificateNames(
        record({ sans: { dns: [], ip: [], email: [], uri: [] }, subjectCommonName: 'Host.example.com' }),
      ),
    ).toEqual(['host.example.com']);
  });
});
