import { CertwardenConfig, describeConfigProblems } from '../../../lib/domain/config';

const acm = (extra: object = {}) => ({ kind: 'aws-acm', name: 'acm', regions: ['eu-west-1'], ...extra });
const problemsOf = (input: unknown) => {
  const parsed = CertwardenConfig.safeParse(input);
  return parsed.success ? [] : describeConfigProblems(parsed.error);
};

describe('the configuration of the sync at scale', () => {
  it('takes a fan-out concurrency and per-operation request rates', () => {
    const config = CertwardenConfig.parse({
      sources: [acm({ requestsPerSecond: { DescribeCertificate: 20, ListCertificates: 2 } })],
      sync: { maxConcurrency: 250 },
    });

    expect(config.sync.maxConcurrency).toBe(250);
    expect(config.sources[0]).toMatchObject({ requestsPerSecond: { DescribeCertificate: 20, ListCertificates: 2 } });
    expect(CertwardenConfig.parse({}).sync).toEqual({});
  });

  it.each([
    [{ sync: { maxConcurrency: 1 } }, 'sync.maxConcurrency'],
    [{ sync: { maxConcurrency: 1001 } }, 'sync.maxConcurrency'],
    [{ sync: { maxConcurrency: 2.5 } }, 'sync.maxConcurrency'],
    [{ sync: { concurrency: 10 } }, 'sync'],
    [{ sources: [acm({ requestsPerSecond: { DescribeCertificate: 0 } })] }, 'sources[0].requestsPerSecond'],
    [{ sources: [acm({ requestsPerSecond: { 'describe-certificate': 5 } })] }, 'sources[0].requestsPerSecond'],
  ])('refuses %j, naming %s', (input, path) => {
    expect(problemsOf(input)).toEqual([expect.stringMatching(new RegExp(`^${path.replace(/[[\].]/g, '\\$&')}`))]);
  });
});
