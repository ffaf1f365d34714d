import { readFile } from 'node:fs/promises';
import { scanEndpoints, type ScopedTarget, type TlsScanResult } from '../../connectors/tls-endpoint';
import { ConfigError } from '../../domain/errors';
import { parseEndpoint, targetsOf } from '../../domain/tls-endpoints';
import { TrustAnchors } from '../../x509/chain';
import { EXIT, type ExitCode } from '../exit-codes';
import { out, warn } from '../output';

export interface ScanEndpointsOptions {
  endpoint?: string[];
  endpointsFile?: string;
  /** PEM of private CAs trusted besides the public roots. */
  caFile?: string;
  timeout?: number;
  concurrency?: number;
  json?: boolean;
}

/** The endpoints of the command line, then of the file (one a line, `#` comments), each with where it came from. */
async function endpointLines(options: ScanEndpointsOptions): Promise<Array<{ text: string; where: string }>> {
  const lines = (options.endpoint ?? []).map((text) => ({ text, where: '--endpoint' }));
  if (options.endpointsFile) {
    let content: string;
    try {
      content = await readFile(options.endpointsFile, 'utf8');
    } catch (error) {
      throw new ConfigError(
        `${options.endpointsFile}: cannot read the endpoints file (${(error as NodeJS.ErrnoException).code ?? error})`,
      );
    }
    content.split(/\r?\n/).forEach((line, index) => {
      const text = line.replace(/#.*/, '').trim();
      if (text) lines.push({ text, where: `${options.endpointsFile}:${index + 1}` });
    });
  }
  return lines;
}

async function anchorsOf(caFile: string | undefined): Promise<TrustAnchors> {
  if (!caFile) return TrustAnchors.of({ publicRoots: true });
  try {
    return TrustAnchors.of({ publicRoots: true, pem: await readFile(caFile, 'utf8') });
  } catch (error) {
    throw new ConfigError(`${caFile}: cannot read the CA bundle (${(error as Error).message.split('\n')[0]})`);
  }
}

/** One result as `--json` prints it: no key material, only what was served and what is wrong with it. */
function jsonOf(result: TlsScanResult) {
  const { host, port, serverName, starttls } = result.target;
  const where = { endpoint: result.endpoint, host, port, serverName, ...(starttls && { starttls }) };
  if (!result.served) return { ...where, error: result.error ?? 'not scanned' };
  const { protocol, cipher, verdict, chain } = result.served;
  return {
    ...where,
    protocol,
    cipher,
    trusted: verdict.trusted,
    issues: verdict.issues,
    chain: chain.map(({ record }) => ({
      subject: record.subject,
      issuer: record.issuer,
      fingerprint: record.fingerprintSha256,
      notBefore: record.notBefore,
      notAfter: record.notAfter,
    })),
  };
}

/** One result for people: a line per endpoint, then one per issue. */
function textOf(result: TlsScanResult & { served: NonNullable<TlsScanResult['served']> }): string {
  const { protocol, cipher, verdict, chain } = result.served;
  const leaf = chain[0].record;
  const head =
    `${result.endpoint}  ${verdict.issues.length === 0 ? 'ok' : 'PROBLEMS'}  ${protocol} ${cipher}  ` +
    `${leaf.subjectCommonName ?? leaf.subject}  until ${leaf.notAfter}  ${verdict.trusted ? 'trusted' : 'untrusted'}`;
  return [head, ...verdict.issues.map((issue) => `  ${issue.code}: ${issue.message}`)].join('\n') + '\n';
}

/**
 * `certwarden scan --endpoint host:port …`: a one-off look at what endpoints serve, written nowhere. Every endpoint is
 * scanned whatever happens to the others; one that cannot be read (a bad line, refused, timed out, no handshake) is a
 * one-line message naming it. Exit 1 when any endpoint failed or serves a chain with problems.
 */
export async function scanEndpointsCommand(options: ScanEndpointsOptions): Promise<ExitCode> {
  let failed = false;
  const targets: ScopedTarget[] = [];
  for (const { text, where } of await endpointLines(options)) {
    try {
      for (const target of targetsOf(parseEndpoint(text))) targets.push({ ...target, scope: 'scan' });
    } catch (error) {
      warn(`${where}: ${(error as Error).message}`);
      failed = true;
    }
  }
  if (targets.length === 0 && !failed)
    throw new ConfigError('no endpoints to scan: give --endpoint or --endpoints-file');
  const json: unknown[] = [];
  for await (const result of scanEndpoints(targets, {
    anchors: await anchorsOf(options.caFile),
    timeoutMs: options.timeout,
    concurrency: options.concurrency,
  })) {
    if (!result.served) {
      failed = true;
      if (options.json) json.push(jsonOf(result));
      else warn(`${result.endpoint}: ${result.error ?? 'not scanned'}`);
      continue;
    }
    if (result.served.verdict.issues.length > 0) failed = true;
    if (options.json) json.push(jsonOf(result));
    else out(textOf(result));
  }
  if (options.json) out(`${JSON.stringify(json, null, 2)}\n`);
  return failed ? EXIT.findings : EXIT.ok;
}
