import {
  GoogleCertificateManagerSource,
  type CertificateManagerApi,
  type RetryPolicy,
} from '../../../lib/connectors/google-certificate-manager';
import { isScopeFailure, type SourceItem } from '../../../lib/ports/certificate-source';
import { collect } from '../../support/inventory';
import { VirtualTime } from '../../support/virtual-time';

/** What node-fetch rejects with when nothing listens on the endpoint (gaxios keeps the socket's code). */
const refused = () =>
  Object.assign(
    new Error('request to https://certificatemanager.googleapis.com/v1 failed, reason: connect ECONNREFUSED'),
    {
      code: 'ECONNREFUSED',
    },
  );
/** A 503 answer on the REST transport: the endpoint is there, and asks for patience. */
const unavailable = () =>
  Object.assign(new Error(JSON.stringify({ error: { code: 503, status: 'UNAVAILABLE', message: 'try later' } })), {
    code: 503,
    status: 503,
    response: { status: 503, headers: new Headers() },
  });

/** Projects `gone` (every call fails with `failure`) and `healthy` (one empty page), one location each. */
function sourceWith(failure: () => Error, retry: RetryPolicy = {}) {
  const calls = { gone: 0, healthy: 0 };
  const clientFor = (project: string) =>
    ({
      listCertificates: async () => {
        calls[project as keyof typeof calls]++;
        if (project === 'gone') throw failure();
        return [[], null, {}];
      },
    }) as unknown as CertificateManagerApi;
  const source = new GoogleCertificateManagerSource({
    name: 'gcm',
    client: clientFor,
    projects: ['gone', 'healthy'],
    locations: ['europe-west1'],
    usageFromCertificateMaps: false,
    retry,
  });
  return { source, calls };
}

async function listInVirtualTime(source: GoogleCertificateManagerSource) {
  const time = VirtualTime.start();
  try {
    const items: SourceItem[] = await time.run(collect(source.list()));
    return { failures: items.filter(isScopeFailure), seconds: time.elapsed() / 1000 };
  } finally {
    time.stop();
  }
}

describe('Certificate Manager: a project/location that cannot be reached, with the production retry settings', () => {
  it('fails the scope after 3 connection failures in a row, in seconds, and still lists the others', async () => {
    const { source, calls } = sourceWith(refused);

    const { failures, seconds } = await listInVirtualTime(source);

    expect(failures).toEqual([
      {
        failedScope: 'gone/europe-west1',
        message:
          'ListCertificates projects/gone/locations/europe-west1: unreachable: ECONNREFUSED after 3 consecutive connection failures',
      },
    ]);
    expect(calls).toEqual({ gone: 3, healthy: 1 });
    // Two back-offs of at most 1 and 2 s (full jitter) before the third attempt.
    expect(seconds).toBeLessThan(3);
  });

  it('without the breaker, spends every attempt with its back-off first', async () => {
    const { source, calls } = sourceWith(refused, { connectionFailuresToFailScope: Infinity });

    const { failures } = await listInVirtualTime(source);

    expect(calls.gone).toBe(8);
    expect(failures).toEqual([
      { failedScope: 'gone/europe-west1', message: expect.stringContaining('ECONNREFUSED (after 8 attempts)') },
    ]);
  });

  it('keeps retrying a scope that answers 503: throttling and server errors are not connection failures', async () => {
    const { source, calls } = sourceWith(unavailable);

    const { failures } = await listInVirtualTime(source);

    expect(calls.gone).toBe(8);
    expect(failures).toEqual([
      {
        failedScope: 'gone/europe-west1',
        message: expect.stringContaining('503 UNAVAILABLE: try later (after 8 attempts)'),
      },
    ]);
  });
});
