import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { seededRandom } from './seeded-random';

/**
 * AWS Security Hub for the real SecurityHubClient, in its restJson1 wire protocol on one 127.0.0.1 port:
 * BatchImportFindings (`POST /findings/import`) and BatchUpdateFindings (`PATCH /findings/batchupdate`).
 * Errors are served as restJson1 errors: the status, an `x-amzn-ErrorType` header and `{"Message", "Code"}`.
 *
 * Findings are stored by Id as Security Hub does for a provider: an import with a new Id creates a finding, one
 * with a known Id updates it in place, keeping CreatedAt and the customer's Workflow (BatchImportFindings
 * cannot change Workflow after creation), resetting Workflow NOTIFIED/RESOLVED to NEW when the finding goes
 * from ARCHIVED to ACTIVE or from PASSED to not passed, and ignoring an update older than the stored
 * UpdatedAt. Each finding is checked for the fields BatchImportFindings requires, the account (the caller's),
 * the default product ARN and the length limits; a bad finding is a FailedFindings entry in a 200 reply,
 * as is any Id in `faults.failIds`. Requests must be SigV4-signed for service `securityhub` in the fake's region
 * (signatures themselves are not checked). Throttling (HTTP 429) is injected on demand or at a seeded rate.
 */

export interface StoredFinding extends Record<string, unknown> {
  Id: string;
  CreatedAt: string;
  UpdatedAt: string;
  RecordState: string;
  Workflow: { Status: string };
  Compliance?: { Status: string };
  Severity: { Label: string; Original?: string };
}

export interface SecurityHubFaults {
  /** The next this many calls are throttled. @default 0 */
  throttleNext: number;
  /** Share of calls throttled at random (seeded). @default 0 */
  throttleRate: number;
  /** The error a throttled call gets; both are HTTP 429. @default 'LimitExceededException' */
  throttleError: 'LimitExceededException' | 'TooManyRequestsException';
  /** Finding Ids BatchImportFindings refuses (a FailedFindings entry, the rest of the batch stored). */
  failIds: Set<string>;
  /** The ErrorCode of a refused finding. @default 'InternalFailure' */
  failCode: string;
}

export interface FakeSecurityHub {
  endpoint: string;
  accountId: string;
  region: string;
  /** Static credentials the fake accepts. */
  credentials: { accessKeyId: string; secretAccessKey: string };
  faults: SecurityHubFaults;
  /** The findings held, by Id. */
  readonly findings: Map<string, StoredFinding>;
  /** How many imports changed each finding (its versions). */
  readonly versions: Map<string, number>;
  /** Every request as it arrived: operation, how many findings it carried, and the HTTP status it got. */
  readonly log: Array<{ operation: string; findings: number; status: number }>;
  /** Calls answered 429 so far. */
  readonly throttled: { count: number };
  close(): Promise<void>;
}

const MAX_BATCH = 100;
const REQUIRED = ['SchemaVersion', 'Id', 'ProductArn', 'GeneratorId', 'AwsAccountId', 'CreatedAt', 'UpdatedAt'];
const REQUIRED_TEXT = ['Title', 'Description'];
const TYPE_NAMESPACES = [
  'Software and Configuration Checks',
  'TTPs',
  'Effects',
  'Unusual Behaviors',
  'Sensitive Data Identifications',
];
const SEVERITY_LABELS = new Set(['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL']);
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/;

class RestJsonError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export async function startFakeSecurityHub(
  options: { accountId?: string; region?: string; seed?: number } = {},
): Promise<FakeSecurityHub> {
  const accountId = options.accountId ?? '111111111111';
  const region = options.region ?? 'eu-west-1';
  const productArn = `arn:aws:securityhub:${region}:${accountId}:product/${accountId}/default`;
  const credentials = { accessKeyId: 'AKIAFAKESECURITYHUB1', secretAccessKey: 'fake-secret-for-tests' };
  const random = seededRandom(options.seed ?? 1);
  const findings = new Map<string, StoredFinding>();
  const versions = new Map<string, number>();
  const log: FakeSecurityHub['log'] = [];
  const throttled = { count: 0 };
  const faults: SecurityHubFaults = {
    throttleNext: 0,
    throttleRate: 0,
    throttleError: 'LimitExceededException',
    failIds: new Set(),
    failCode: 'InternalFailure',
  };

  const authenticate = (request: IncomingMessage) => {
    const match = AUTHORIZATION.exec(request.headers.authorization ?? '');
    if (!match) throw new RestJsonError('AccessDeniedException', 'Missing or malformed SigV4 Authorization', 403);
    const [, accessKeyId, , scopeRegion, service] = match;
    if (accessKeyId !== credentials.accessKeyId || service !== 'securityhub' || scopeRegion !== region) {
      throw new RestJsonError('AccessDeniedException', `not signed for securityhub in ${region} by a known key`, 403);
    }
  };

  const injectThrottle = () => {
    const forced = faults.throttleNext > 0;
    if (forced) faults.throttleNext--;
    if (forced || random() < faults.throttleRate) {
      throttled.count++;
      throw new RestJsonError(faults.throttleError, 'Rate exceeded', 429);
    }
  };

  /** Why BatchImportFindings would refuse this finding, or undefined. */
  const problemOf = (finding: Record<string, unknown>): { code: string; message: string } | undefined => {
    for (const field of [...REQUIRED, ...REQUIRED_TEXT]) {
      if (typeof finding[field] !== 'string' || finding[field] === '') {
        return { code: 'InvalidInput', message: `Finding does not adhere to ASFF: ${field} is required` };
      }
    }
    if (finding.SchemaVersion !== '2018-10-08') return { code: 'InvalidInput', message: 'Unknown SchemaVersion' };
    if (finding.AwsAccountId !== accountId || finding.ProductArn !== productArn) {
      return { code: 'AccessDeniedException', message: `${accountId} cannot import findings for this account/product` };
    }
    if ((finding.Id as string).length > 512) return { code: 'InvalidInput', message: 'Id longer than 512' };
    if ((finding.Title as string).length > 256) return { code: 'InvalidInput', message: 'Title longer than 256' };
    if ((finding.Description as string).length > 1024) {
      return { code: 'InvalidInput', message: 'Description longer than 1024' };
    }
    if (!ISO_TIME.test(finding.CreatedAt as string) || !ISO_TIME.test(finding.UpdatedAt as string)) {
      return { code: 'InvalidInput', message: 'CreatedAt/UpdatedAt must be ISO 8601 UTC' };
    }
    const provider = finding.FindingProviderFields as { Severity?: { Label?: string }; Types?: string[] } | undefined;
    const label = (finding.Severity as { Label?: string } | undefined)?.Label ?? provider?.Severity?.Label;
    if (!label || !SEVERITY_LABELS.has(label)) return { code: 'InvalidInput', message: 'Severity.Label is required' };
    const types = (finding.Types as string[] | undefined) ?? provider?.Types;
    if (!types?.length || !types.every((type) => TYPE_NAMESPACES.includes(type.split('/')[0]))) {
      return { code: 'InvalidInput', message: 'Types must be namespace/category/classifier' };
    }
    const resources = finding.Resources as Array<{ Type?: string; Id?: string }> | undefined;
    if (!resources?.length || resources.some((resource) => !resource.Type || !resource.Id)) {
      return { code: 'InvalidInput', message: 'Resources must name each resource Type and Id' };
    }
    return undefined;
  };

  const upsert = (incoming: Record<string, unknown>) => {
    const id = incoming.Id as string;
    const stored = findings.get(id);
    const provider = incoming.FindingProviderFields as { Severity?: unknown; Types?: unknown } | undefined;
    const next = {
      ...incoming,
      ...(provider?.Severity ? { Severity: provider.Severity } : {}),
      ...(provider?.Types ? { Types: provider.Types } : {}),
      RecordState: (incoming.RecordState as string | undefined) ?? 'ACTIVE',
    } as StoredFinding;
    if (!stored) {
      next.Workflow = { Status: (incoming.Workflow as { Status?: string } | undefined)?.Status ?? 'NEW' };
      findings.set(id, next);
      versions.set(id, 1);
      return;
    }
    if (Date.parse(next.UpdatedAt) < Date.parse(stored.UpdatedAt)) return;
    const reopened =
      (stored.RecordState === 'ARCHIVED' && next.RecordState === 'ACTIVE') ||
      (stored.Compliance?.Status === 'PASSED' && next.Compliance !== undefined && next.Compliance.Status !== 'PASSED');
    const workflow = stored.Workflow.Status;
    next.CreatedAt = stored.CreatedAt;
    next.Workflow = { Status: reopened && (workflow === 'NOTIFIED' || workflow === 'RESOLVED') ? 'NEW' : workflow };
    findings.set(id, next);
    versions.set(id, (versions.get(id) ?? 0) + 1);
  };

  const batchImport = (body: { Findings?: Array<Record<string, unknown>> }) => {
    const batch = body.Findings;
    if (!Array.isArray(batch) || batch.length === 0) {
      throw new RestJsonError('InvalidInputException', 'Findings is required', 400);
    }
    if (batch.length > MAX_BATCH) {
      throw new RestJsonError('InvalidInputException', `At most ${MAX_BATCH} findings per request`, 400);
    }
    const failed: Array<{ Id: string; ErrorCode: string; ErrorMessage: string }> = [];
    for (const finding of batch) {
      const problem = faults.failIds.has(finding.Id as string)
        ? { code: faults.failCode, message: 'Internal service failure' }
        : problemOf(finding);
      if (problem) failed.push({ Id: String(finding.Id), ErrorCode: problem.code, ErrorMessage: problem.message });
      else upsert(finding);
    }
    return { FailedCount: failed.length, SuccessCount: batch.length - failed.length, FailedFindings: failed };
  };

  const batchUpdate = (body: {
    FindingIdentifiers?: Array<{ Id: string; ProductArn: string }>;
    Workflow?: { Status?: string };
  }) => {
    const identifiers = body.FindingIdentifiers ?? [];
    if (identifiers.length === 0 || identifiers.length > MAX_BATCH) {
      throw new RestJsonError('InvalidInputException', `1 to ${MAX_BATCH} FindingIdentifiers`, 400);
    }
    const processed: typeof identifiers = [];
    const unprocessed: Array<{
      FindingIdentifier: (typeof identifiers)[number];
      ErrorCode: string;
      ErrorMessage: string;
    }> = [];
    for (const identifier of identifiers) {
      const stored = identifier.ProductArn === productArn ? findings.get(identifier.Id) : undefined;
      if (!stored) {
        unprocessed.push({
          FindingIdentifier: identifier,
          ErrorCode: 'FindingNotFound',
          ErrorMessage: 'Finding Not Found',
        });
        continue;
      }
      if (body.Workflow?.Status) stored.Workflow = { Status: body.Workflow.Status };
      processed.push(identifier);
    }
    return { ProcessedFindings: processed, UnprocessedFindings: unprocessed };
  };

  const serve = (request: IncomingMessage, response: ServerResponse, text: string) => {
    const route = `${request.method} ${request.url?.split('?')[0]}`;
    const operation =
      route === 'POST /findings/import'
        ? 'BatchImportFindings'
        : route === 'PATCH /findings/batchupdate'
          ? 'BatchUpdateFindings'
          : route;
    let findingCount = 0;
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      log.push({ operation, findings: findingCount, status });
      response.writeHead(status, {
        'Content-Type': 'application/json',
        'x-amzn-RequestId': randomUUID(),
        ...headers,
      });
      response.end(JSON.stringify(payload));
    };
    try {
      if (!String(request.headers['content-type'] ?? '').startsWith('application/json')) {
        throw new RestJsonError(
          'InvalidInputException',
          `unexpected content type ${request.headers['content-type']}`,
          400,
        );
      }
      const body = JSON.parse(text || '{}') as Record<string, unknown>;
      findingCount = ((body.Findings ?? body.FindingIdentifiers ?? []) as unknown[]).length;
      authenticate(request);
      injectThrottle();
      if (operation === 'BatchImportFindings') send(200, batchImport(body));
      else if (operation === 'BatchUpdateFindings') send(200, batchUpdate(body));
      else throw new RestJsonError('ResourceNotFoundException', `no route ${route}`, 404);
    } catch (error) {
      if (!(error instanceof RestJsonError)) throw error;
      send(error.status, { Message: error.message, Code: error.type }, { 'x-amzn-ErrorType': error.type });
    }
  };

  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      try {
        serve(request, response, Buffer.concat(chunks).toString('utf8'));
      } catch (error) {
        response.writeHead(500, { 'Content-Type': 'text/plain' });
        response.end(String(error));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    accountId,
    region,
    credentials,
    faults,
    findings,
    versions,
    log,
    throttled,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
