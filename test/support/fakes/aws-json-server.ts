import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { seededRandom } from './seeded-random';

/**
 * A local AWS endpoint for the real SDK clients: awsJson1_1 services (ACM, ACM PCA) on `POST /` routed by
 * `X-Amz-Target`, awsQuery services (IAM, and STS AssumeRole and GetCallerIdentity: form-encoded `Action=…&Version=…` POSTs, XML
 * answers) routed by the SigV4 signing name, and restJson1 services (IoT: method and path, JSON answers, errors
 * named by `x-amzn-ErrorType`), all on one 127.0.0.1 port. Requests must carry a SigV4 `Authorization` header: its credential scope names the
 * region, its access key the account (a caller key given out by `callerCredentials`, or a session key this
 * fake's STS issued), and a session key must come with the session token issued with it. Signatures
 * themselves are not checked. Faults (throttling, 5xx, a scope that always fails) are injected on demand.
 */

/** An error the handlers throw; served as `{"__type": type, "message": …}` like AWS's JSON protocols. */
export class AwsFault extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'AwsFault';
  }
}

export interface AwsCallContext {
  accountId: string;
  region: string;
  /** `acm`, `acm-pca`: the service of the SigV4 credential scope. */
  service: string;
  accessKeyId: string;
}

export type AwsJsonHandler = (input: Record<string, unknown>, context: AwsCallContext) => unknown;

/** Handlers of one awsJson1_1 service by operation, under its target prefix (`CertificateManager`). */
export interface AwsJsonService {
  targetPrefix: string;
  operations: Record<string, AwsJsonHandler>;
}

/** How a service names the faults injected into it: a throttle, an internal error (500), unavailability (503). */
export interface FaultNames {
  throttle: { type: string; status: number };
  internal: string;
  unavailable: string;
}

/** ACM's and PCA's names, the awsJson services' (and the default). */
const JSON_FAULTS: FaultNames = {
  throttle: { type: 'ThrottlingException', status: 400 },
  internal: 'InternalFailure',
  unavailable: 'ServiceUnavailable',
};

/**
 * An awsQuery service (IAM): `POST /` with a form-encoded `Action=…&Version=…`, answered
 * `<ActionResponse><ActionResult>…</ActionResult>…` or an `<ErrorResponse>`, routed here by the SigV4 signing name.
 */
export interface AwsQueryService {
  signingName: string;
  version: string;
  xmlns: string;
  faults: FaultNames;
  /** By action: the XML inside `<ActionResult>`. */
  operations: Record<string, (params: Record<string, string>, context: AwsCallContext) => string>;
}

/** A restJson1 service (IoT): routes by method and path, routed here by the SigV4 signing name. */
export interface AwsRestService {
  signingName: string;
  faults: FaultNames;
  routes: Array<{
    method: string;
    /** Matched against the decoded path; its groups are the path's labels. */
    path: RegExp;
    operation: string;
    handler(request: { labels: string[]; query: URLSearchParams }, context: AwsCallContext): unknown;
  }>;
}

export interface FaultPlan {
  /** Share of service calls (not STS) answered 400 ThrottlingException with Retry-After. @default 0 */
  throttleRate: number;
  /** Share of service calls answered 500 InternalFailure / 503 ServiceUnavailable. @default 0 */
  serverErrorRate: number;
  /** Retry-After seconds sent with a throttle. @default 0 */
  retryAfterSeconds: number;
  /**
   * Random faults (throttleRate, serverErrorRate) in a row for one request (same operation and body) before it is
   * let through, so that a client with enough attempts always gets there and a test never flakes on a long
   * unlucky streak. @default 3
   */
  maxConsecutiveFaults: number;
  /** The next this many service calls are throttled, whatever the rates say. @default 0 */
  throttleNext: number;
  /**
   * `<account>/<region>` scopes (`<account>` for all of an account's regions, IAM's among them) whose every call
   * fails with 503, however often it is retried.
   */
  failingScopes: Set<string>;
  /**
   * `<account>/<region> <operation>` → calls of that operation still answered there; every later one fails with
   * 503, however often it is retried: a listing that breaks after its first pages.
   */
  callsBeforeFailing: Map<string, number>;
  /** Accounts whose role cannot be assumed (AccessDenied from STS). */
  deniedAccounts: Set<string>;
  /**
   * Requests per second each `<account>/<region>` accepts (a token bucket holding one second's worth),
   * beyond which calls are throttled, like AWS's own quotas. @default unlimited
   */
  ratePerScope?: number;
  /**
   * Requests per second each `<account>/<region>` accepts per operation (`{ DescribeCertificate: 10 }`), each
   * a token bucket holding one second's worth, as AWS publishes its quotas. @default unlimited
   */
  ratePerOperation?: Record<string, number>;
}

export interface RoleGrant {
  accountId: string;
  roleName: string;
  /** The external id the trust policy demands; none when absent. */
  externalId?: string;
}

export interface FakeAwsServer {
  endpoint: string;
  faults: FaultPlan;
  /** Requests received by operation (`ListCertificates`, `AssumeRole`, …), every attempt counted. */
  readonly calls: Map<string, number>;
  callCounts(): Record<string, number>;
  /** Forgets the call counts (not the fault counts). */
  resetCalls(): void;
  /** Every service call as it arrived: operation, time (ms) and the HTTP status it got. */
  readonly log: Array<{ operation: string; at: number; status: number; scope?: string }>;
  /** Calls answered with an injected fault so far. */
  readonly injected: { throttled: number; serverErrors: number; scopeFailures: number };
  /** Access keys of a caller whose own credentials act in `accountId` (no role assumed). */
  callerCredentials(accountId: string): { accessKeyId: string; secretAccessKey: string };
  /** Lets the caller assume this role. */
  grantRole(grant: RoleGrant): void;
  /** Every AssumeRole request's parameters, in order. */
  readonly assumeRoleRequests: Array<Record<string, string>>;
  close(): Promise<void>;
}

interface IssuedKey {
  accountId: string;
  sessionToken?: string;
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/;

export async function startFakeAws(options: {
  services?: AwsJsonService[];
  queryServices?: AwsQueryService[];
  restServices?: AwsRestService[];
  seed?: number;
}): Promise<FakeAwsServer> {
  const random = seededRandom(options.seed ?? 1);
  const keys = new Map<string, IssuedKey>();
  const grants = new Map<string, RoleGrant>();
  const calls = new Map<string, number>();
  const assumeRoleRequests: Array<Record<string, string>> = [];
  const faults: FaultPlan = {
    throttleRate: 0,
    serverErrorRate: 0,
    retryAfterSeconds: 0,
    maxConsecutiveFaults: 3,
    throttleNext: 0,
    failingScopes: new Set(),
    callsBeforeFailing: new Map(),
    deniedAccounts: new Set(),
  };
  const injected = { throttled: 0, serverErrors: 0, scopeFailures: 0 };
  const log: FakeAwsServer['log'] = [];
  const services = new Map((options.services ?? []).map((service) => [service.targetPrefix, service]));
  const queryServices = new Map((options.queryServices ?? []).map((service) => [service.signingName, service]));
  const restServices = new Map((options.restServices ?? []).map((service) => [service.signingName, service]));
  /** The SigV4 signing name of a request, which routes the awsQuery and restJson1 services. */
  const signingNameOf = (request: IncomingMessage) =>
    AUTHORIZATION.exec(String(request.headers.authorization ?? ''))?.[4] ?? '';
  const count = (operation: string) => calls.set(operation, (calls.get(operation) ?? 0) + 1);
  const buckets = new Map<string, { tokens: number; at: number }>();
  const overRate = (scope: string, rate = faults.ratePerScope): boolean => {
    if (rate === undefined) return false;
    const now = Date.now();
    const bucket = buckets.get(scope) ?? { tokens: rate, at: now };
    bucket.tokens = Math.min(rate, bucket.tokens + ((now - bucket.at) / 1000) * rate);
    bucket.at = now;
    buckets.set(scope, bucket);
    if (bucket.tokens < 1) return true;
    bucket.tokens -= 1;
    return false;
  };

  const authenticate = (request: IncomingMessage): AwsCallContext => {
    const header = request.headers.authorization;
    if (!header) throw new AwsFault('MissingAuthenticationTokenException', 'Missing Authentication Token', 403);
    const match = AUTHORIZATION.exec(header);
    if (!match) throw new AwsFault('IncompleteSignatureException', `not a SigV4 Authorization: ${header}`, 403);
    const [, accessKeyId, , region, service] = match;
    const key = keys.get(accessKeyId);
    if (!key) {
      throw new AwsFault('UnrecognizedClientException', 'The security token included in the request is invalid.', 403);
    }
    if (key.sessionToken !== undefined && request.headers['x-amz-security-token'] !== key.sessionToken) {
      throw new AwsFault('UnrecognizedClientException', 'The security token included in the request is invalid.', 403);
    }
    return { accountId: key.accountId, region, service, accessKeyId };
  };

  const streaks = new Map<string, number>();
  const injectFault = (context: AwsCallContext, request: string, operation: string, names = JSON_FAULTS) => {
    const left = faults.callsBeforeFailing.get(`${context.accountId}/${context.region} ${operation}`);
    if (left !== undefined && left > 0)
      faults.callsBeforeFailing.set(`${context.accountId}/${context.region} ${operation}`, left - 1);
    if (
      left === 0 ||
      faults.failingScopes.has(`${context.accountId}/${context.region}`) ||
      faults.failingScopes.has(context.accountId)
    ) {
      injected.scopeFailures++;
      throw new AwsFault(names.unavailable, `${context.region} is unavailable`, 503);
    }
    let draw = random();
    const streak = streaks.get(request) ?? 0;
    if (draw < faults.throttleRate + faults.serverErrorRate && streak >= faults.maxConsecutiveFaults) draw = 1;
    if (draw < faults.throttleRate + faults.serverErrorRate) streaks.set(request, streak + 1);
    else streaks.delete(request);
    const forced = faults.throttleNext > 0;
    if (forced) faults.throttleNext--;
    const scope = `${context.accountId}/${context.region}`;
    const operationRate = faults.ratePerOperation?.[operation];
    if (
      forced ||
      draw < faults.throttleRate ||
      overRate(scope) ||
      (operationRate !== undefined && overRate(`${scope}/${operation}`, operationRate))
    ) {
      injected.throttled++;
      throw new AwsFault(names.throttle.type, 'Rate exceeded', names.throttle.status, {
        'Retry-After': String(faults.retryAfterSeconds),
      });
    }
    if (draw < faults.throttleRate + faults.serverErrorRate) {
      injected.serverErrors++;
      throw draw < faults.throttleRate + faults.serverErrorRate / 2
        ? new AwsFault(names.internal, 'We encountered an internal error. Please try again.', 500)
        : new AwsFault(names.unavailable, 'Service unavailable. Please try again.', 503);
    }
  };

  const serveJson = async (request: IncomingMessage, response: ServerResponse, body: string) => {
    const target = String(request.headers['x-amz-target'] ?? '');
    const [prefix, operation] = target.split('.');
    count(operation ?? target);
    const at = Date.now();
    let scope: string | undefined;
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      log.push({ operation: operation ?? target, at, status, scope });
      response.writeHead(status, {
        'Content-Type': 'application/x-amz-json-1.1',
        'x-amzn-RequestId': randomUUID(),
        ...headers,
      });
      response.end(JSON.stringify(payload));
    };
    try {
      if (request.headers['content-type'] !== 'application/x-amz-json-1.1') {
        throw new AwsFault('SerializationException', `unexpected content type ${request.headers['content-type']}`);
      }
      const handler = services.get(prefix)?.operations[operation];
      if (!handler) throw new AwsFault('UnknownOperationException', `unknown target ${target}`);
      const context = authenticate(request);
      scope = `${context.accountId}/${context.region}`;
      injectFault(context, `${context.accessKeyId} ${context.region} ${target} ${body}`, operation);
      send(200, (await handler(JSON.parse(body || '{}') as Record<string, unknown>, context)) ?? {});
    } catch (error) {
      if (!(error instanceof AwsFault)) throw error;
      send(error.status, { __type: error.type, message: error.message }, error.headers);
    }
  };

  const serveQuery = async (
    service: AwsQueryService,
    request: IncomingMessage,
    response: ServerResponse,
    body: string,
  ) => {
    const params = Object.fromEntries(new URLSearchParams(body));
    const action = params.Action ?? '';
    count(action);
    const at = Date.now();
    const requestId = randomUUID();
    let scope: string | undefined;
    const send = (status: number, xml: string, headers: Record<string, string> = {}) => {
      log.push({ operation: action, at, status, scope });
      response.writeHead(status, { 'Content-Type': 'text/xml', 'x-amzn-RequestId': requestId, ...headers });
      response.end(xml);
    };
    try {
      const handler = service.operations[action];
      if (!handler || params.Version !== service.version) {
        throw new AwsFault('InvalidAction', `Could not find operation ${action} for version ${params.Version}`);
      }
      const context = authenticate(request);
      scope = context.accountId;
      injectFault(context, `${context.accessKeyId} ${body}`, action, service.faults);
      const result = await handler(params, context);
      send(
        200,
        `<${action}Response xmlns="${service.xmlns}"><${action}Result>${result}</${action}Result>` +
          `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`,
      );
    } catch (error) {
      if (!(error instanceof AwsFault)) throw error;
      send(
        error.status,
        `<ErrorResponse xmlns="${service.xmlns}"><Error><Type>${error.status >= 500 ? 'Receiver' : 'Sender'}</Type>` +
          `<Code>${error.type}</Code><Message>${escapeXml(error.message)}</Message></Error>` +
          `<RequestId>${requestId}</RequestId></ErrorResponse>`,
        error.headers,
      );
    }
  };

  const serveRest = async (service: AwsRestService, request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://fake');
    const path = decodeURIComponent(url.pathname);
    let labels: string[] = [];
    const route = service.routes.find((candidate) => {
      const match = candidate.method === request.method ? candidate.path.exec(path) : null;
      labels = match?.slice(1) ?? [];
      return match !== null;
    });
    const operation = route?.operation ?? `${request.method} ${path}`;
    count(operation);
    const at = Date.now();
    let scope: string | undefined;
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      log.push({ operation, at, status, scope });
      response.writeHead(status, { 'Content-Type': 'application/json', 'x-amzn-RequestId': randomUUID(), ...headers });
      response.end(JSON.stringify(payload));
    };
    try {
      if (!route) throw new AwsFault('ResourceNotFoundException', `no route for ${operation}`, 404);
      const context = authenticate(request);
      scope = `${context.accountId}/${context.region}`;
      injectFault(
        context,
        `${context.accessKeyId} ${context.region} ${request.method} ${request.url}`,
        operation,
        service.faults,
      );
      send(200, (await route.handler({ labels, query: url.searchParams }, context)) ?? {});
    } catch (error) {
      if (!(error instanceof AwsFault)) throw error;
      send(error.status, { message: error.message }, { 'x-amzn-ErrorType': error.type, ...error.headers });
    }
  };

  const serveSts = (request: IncomingMessage, response: ServerResponse, body: string) => {
    const params = Object.fromEntries(new URLSearchParams(body));
    count(params.Action ?? 'sts');
    const requestId = randomUUID();
    const fail = (status: number, code: string, message: string) => {
      response.writeHead(status, { 'Content-Type': 'text/xml', 'x-amzn-RequestId': requestId });
      response.end(
        `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>` +
          `<Code>${code}</Code><Message>${escapeXml(message)}</Message></Error>` +
          `<RequestId>${requestId}</RequestId></ErrorResponse>`,
      );
    };
    let caller: AwsCallContext;
    try {
      caller = authenticate(request);
    } catch (error) {
      const fault = error as AwsFault;
      fail(
        fault.status,
        fault.type === 'UnrecognizedClientException' ? 'InvalidClientTokenId' : fault.type,
        fault.message,
      );
      return;
    }
    if (params.Action === 'GetCallerIdentity' && params.Version === '2011-06-15') {
      response.writeHead(200, { 'Content-Type': 'text/xml', 'x-amzn-RequestId': requestId });
      response.end(
        `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>` +
          `<Arn>arn:aws:iam::${caller.accountId}:user/certwarden-test</Arn><UserId>AIDA${caller.accessKeyId.slice(4)}</UserId>` +
          `<Account>${caller.accountId}</Account></GetCallerIdentityResult>` +
          `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
      );
      return;
    }
    if (params.Action !== 'AssumeRole' || params.Version !== '2011-06-15') {
      fail(400, 'InvalidAction', `Could not find operation ${params.Action} for version ${params.Version}`);
      return;
    }
    assumeRoleRequests.push(params);
    const role = /^arn:aws:iam::(\d{12}):role\/(.+)$/.exec(params.RoleArn ?? '');
    const grant = role ? grants.get(`${role[1]}:${role[2]}`) : undefined;
    if (
      !role ||
      !grant ||
      faults.deniedAccounts.has(grant.accountId) ||
      (grant.externalId !== undefined && grant.externalId !== params.ExternalId)
    ) {
      fail(403, 'AccessDenied', `User is not authorized to perform: sts:AssumeRole on resource: ${params.RoleArn}`);
      return;
    }
    const accessKeyId = `ASIA${randomBytes(8).toString('hex').toUpperCase()}`;
    const sessionToken = randomBytes(24).toString('base64');
    keys.set(accessKeyId, { accountId: grant.accountId, sessionToken });
    const expiration = new Date(Date.now() + Number(params.DurationSeconds ?? 3600) * 1000).toISOString();
    response.writeHead(200, { 'Content-Type': 'text/xml', 'x-amzn-RequestId': requestId });
    response.end(
      `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>` +
        `<AssumedRoleUser><AssumedRoleId>AROA${accessKeyId.slice(4)}:${escapeXml(params.RoleSessionName ?? '')}</AssumedRoleId>` +
        `<Arn>arn:aws:sts::${grant.accountId}:assumed-role/${grant.roleName}/${escapeXml(params.RoleSessionName ?? '')}</Arn></AssumedRoleUser>` +
        `<Credentials><AccessKeyId>${accessKeyId}</AccessKeyId>` +
        `<SecretAccessKey>${randomBytes(20).toString('base64')}</SecretAccessKey>` +
        `<SessionToken>${sessionToken}</SessionToken><Expiration>${expiration}</Expiration></Credentials>` +
        `</AssumeRoleResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></AssumeRoleResponse>`,
    );
  };

  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const signingName = signingNameOf(request);
      const query = queryServices.get(signingName);
      const rest = restServices.get(signingName);
      const handled =
        request.method === 'POST' && request.headers['x-amz-target']
          ? serveJson(request, response, body)
          : request.method === 'POST' &&
              String(request.headers['content-type']).startsWith('application/x-www-form-urlencoded')
            ? query
              ? serveQuery(query, request, response, body)
              : serveSts(request, response, body)
            : rest
              ? serveRest(rest, request, response)
              : Promise.reject(new Error(`unexpected ${request.method} ${request.url}`));
      Promise.resolve(handled).catch((error: unknown) => {
        response.writeHead(500, { 'Content-Type': 'text/plain' });
        response.end(String(error));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    faults,
    calls,
    callCounts: () => Object.fromEntries([...calls].sort(([a], [b]) => a.localeCompare(b))),
    resetCalls: () => calls.clear(),
    injected,
    log,
    callerCredentials(accountId) {
      const accessKeyId = `AKIA${randomBytes(8).toString('hex').toUpperCase()}`;
      keys.set(accessKeyId, { accountId });
      return { accessKeyId, secretAccessKey: randomBytes(20).toString('base64') };
    },
    grantRole(grant) {
      grants.set(`${grant.accountId}:${grant.roleName}`, grant);
    },
    assumeRoleRequests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

export const escapeXml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * NextToken paging over a sorted key list: the token is the last key served, so removals between pages lose
 * nothing. `encoding` is the token's: IoT's markers must be plain base64 (`[A-Za-z0-9+/]+={0,2}`).
 */
export function pageOf<T>(
  sortedKeys: string[],
  lookup: (key: string) => T,
  nextToken: unknown,
  maxItems: number,
  encoding: 'base64url' | 'base64' = 'base64url',
): { items: T[]; nextToken?: string } {
  let start = 0;
  if (nextToken !== undefined) {
    if (typeof nextToken !== 'string') throw new AwsFault('InvalidNextTokenException', 'The next token is invalid');
    const after = Buffer.from(nextToken, encoding).toString('utf8');
    start = lowerBound(sortedKeys, after);
    if (sortedKeys[start] === after) start++;
  }
  const keys = sortedKeys.slice(start, start + maxItems);
  const more = start + maxItems < sortedKeys.length;
  return {
    items: keys.map(lookup),
    nextToken: more ? Buffer.from(keys[keys.length - 1], 'utf8').toString(encoding) : undefined,
  };
}

function lowerBound(sorted: string[], key: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle] < key) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Epoch seconds, the awsJson protocols' timestamp format. */
export const epochSeconds = (date: Date | undefined) => (date ? date.getTime() / 1000 : undefined);
