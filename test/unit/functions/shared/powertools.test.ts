import type { Context } from 'aws-lambda';
import { METRIC } from '../../../../functions/shared/metric-names';

/**
 * withPowertools as in Lambda: no dev mode, so Powertools' Metrics writes its EMF lines and its warnings straight to
 * the process's stdout and stderr (its own Console), which the test reads.
 */
process.env.POWERTOOLS_SERVICE_NAME = 'certwarden-test';
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
delete process.env.POWERTOOLS_DEV;
delete process.env.POWERTOOLS_METRICS_DISABLED;
process.env.CERTWARDEN_SIEM_FORMAT = 'ocsf';

type Powertools = typeof import('../../../../functions/shared/powertools');
type SiemFormat = typeof import('../../../../functions/siem-format/handler');
let metrics: Powertools['metrics'];
let withPowertools: Powertools['withPowertools'];
let publishMetric: Powertools['publishMetric'];
let siemFormat: SiemFormat['handler'];
beforeAll(async () => {
  // Loaded after the environment above is set: the singletons read it when they are made.
  ({ metrics, withPowertools, publishMetric } = await import('../../../../functions/shared/powertools'));
  ({ handler: siemFormat } = await import('../../../../functions/siem-format/handler'));
});

const context = { functionName: 'test', awsRequestId: 'req' } as unknown as Context;

/** What the invocation wrote to stdout and stderr. */
async function output(run: () => Promise<unknown>): Promise<{ stdout: string; stderr: string }> {
  const written = { stdout: '', stderr: '' };
  const capture = (stream: 'stdout' | 'stderr') =>
    jest.spyOn(process[stream], 'write').mockImplementation((chunk: string | Uint8Array) => {
      written[stream] += String(chunk);
      return true;
    });
  const spies = [capture('stdout'), capture('stderr')];
  try {
    await run().catch(() => undefined);
  } finally {
    spies.forEach((spy) => spy.mockRestore());
  }
  return written;
}

const emfLines = (stdout: string) =>
  stdout
    .split('\n')
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line));

describe('withPowertools metrics', () => {
  it('says nothing about metrics when an invocation stored none', async () => {
    const quiet = withPowertools(async () => 'done');

    const { stdout, stderr } = await output(() => quiet({}, context));

    expect(stdout + stderr).not.toMatch(/No application metrics to publish/);
    expect(emfLines(stdout)).toEqual([]);
  });

  it('publishes what an invocation stored as one EMF line', async () => {
    const counting = withPowertools(async () => {
      metrics.addMetric('AlertsSent', 'Count', 3);
    });

    const { stdout, stderr } = await output(() => counting({}, context));

    expect(stderr).not.toMatch(/No application metrics to publish/);
    expect(emfLines(stdout)).toEqual([
      expect.objectContaining({
        AlertsSent: 3,
        service: 'certwarden-test',
        _aws: expect.objectContaining({
          CloudWatchMetrics: [
            expect.objectContaining({ Namespace: 'Certwarden', Metrics: [{ Name: 'AlertsSent', Unit: 'Count' }] }),
          ],
        }),
      }),
    ]);
  });

  it('publishes a single metric at once and nothing more at the end', async () => {
    const single = withPowertools(async () => {
      metrics.singleMetric().addDimension('source', 'acm').addMetric('SyncErrors', 'Count', 0);
    });

    const { stdout, stderr } = await output(() => single({}, context));

    expect(stderr).not.toMatch(/No application metrics to publish/);
    expect(emfLines(stdout)).toEqual([expect.objectContaining({ SyncErrors: 0, source: 'acm' })]);
  });

  it('publishes what was stored when the handler throws', async () => {
    const failing = withPowertools(async () => {
      metrics.addMetric('AlertsFailed', 'Count', 1);
      throw new Error('publish refused');
    });

    const { stdout } = await output(() => failing({}, context));

    expect(emfLines(stdout)).toEqual([expect.objectContaining({ AlertsFailed: 1 })]);
  });

  it('does not carry a quiet invocation’s dimensions into the next one', async () => {
    const quiet = withPowertools(async () => {
      metrics.addDimension('channel', 'slack');
    });
    const counting = withPowertools(async () => {
      metrics.addMetric('DigestItems', 'Count', 2);
    });

    await output(() => quiet({}, context));
    const { stdout } = await output(() => counting({}, context));

    expect(emfLines(stdout)).toEqual([expect.objectContaining({ DigestItems: 2 })]);
    expect(emfLines(stdout)[0]).not.toHaveProperty('channel');
  });
});

describe('a deployed handler’s metrics (siem-format)', () => {
  it('logs no metrics warning for a quiet invocation', async () => {
    const { stdout, stderr } = await output(() => siemFormat([], context));

    expect(stdout + stderr).not.toMatch(/No application metrics to publish/);
    expect(emfLines(stdout)).toEqual([]);
  });

  it('prints no EMF line for a dropped record (nothing reads a count of them; the drop is logged)', async () => {
    const { stdout, stderr } = await output(() => siemFormat([{ messageId: 'm-1', body: '{"truncated' }], context));

    expect(stderr).not.toMatch(/No application metrics to publish/);
    expect(emfLines(stdout)).toEqual([]);
  });
});

describe('publishMetric', () => {
  it('prints one EMF line with the service and exactly the dimensions the definition names', async () => {
    const { stdout } = await output(async () => publishMetric(METRIC.syncErrors, { source: 'acm-org' }, 2));

    expect(emfLines(stdout)).toEqual([
      expect.objectContaining({
        service: 'certwarden-test',
        source: 'acm-org',
        SyncErrors: 2,
        _aws: expect.objectContaining({
          CloudWatchMetrics: [
            {
              Namespace: 'Certwarden',
              Dimensions: [['service', 'source']],
              Metrics: [{ Name: 'SyncErrors', Unit: 'Count' }],
            },
          ],
        }),
      }),
    ]);
  });
});
