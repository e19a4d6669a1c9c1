/**
 * The ARM simulator's HTTPS layer: logs every request in the shared request log, checks the static bearer
 * token (401 without it), requires an `api-version` (any value), settles finished operations, applies
 * injected faults and latency, and sends the routed answer.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimClock } from '../clock';
import type { RequestLog } from '../request-log';
import type { KeyPair } from '../tls';
import { ArmError, ThrottledError } from './errors';
import type { ArmFaultInjector } from './faults';
import type { Machine } from './machine';
import type { OperationBook } from './operations';
import { matchRoute, type Reply, type RouteContext } from './routes';
import type { ArmFault, ArmFaultRule } from './types';
import type { ArmWorld } from './world';

/** What the server needs from the rest of the simulator. */
export interface ArmServerDeps {
  world: ArmWorld;
  operations: OperationBook;
  faults: ArmFaultInjector;
  log: RequestLog;
  clock: SimClock;
  token: string;
  pageSize: number;
  retryAfter: 'remaining' | 'none';
  latencyMs(): number;
}

const ALLOCATION_FAILED = {
  code: 'AllocationFailed',
  message:
    'Allocation failed. We do not have sufficient capacity for the requested VM size in this region. Read more about improving likelihood of allocation success at http://aka.ms/allocation-guidance',
};

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function send(res: ServerResponse, reply: Reply): void {
  if (res.writableEnded || res.destroyed) return;
  const text = reply.body === undefined ? '' : JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    ...(text !== '' && { 'content-type': 'application/json; charset=utf-8' }),
    'content-length': Buffer.byteLength(text),
    'x-ms-request-id': randomUUID(),
    ...reply.headers,
  });
  res.end(text);
}

const errorReply = (error: ArmError): Reply => ({
  status: error.status,
  body: error.body(),
  headers: error.headers,
});

/** The error answer of a fault that replaces the response; undefined for faults that only shape it. */
function faultError(fault: ArmFault): ArmError | undefined {
  switch (fault.kind) {
    case 'conflict':
      return new ArmError(
        409,
        'OperationNotAllowed',
        'Operation is not allowed since the VM has a conflicting operation in progress.',
      );
    case 'throttle':
      return new ThrottledError(fault.retryAfterSeconds);
    case 'serverError':
      return new ArmError(
        500,
        'InternalServerError',
        'An internal server error occurred. Please retry the request.',
      );
    case 'http':
      return new ArmError(
        fault.status,
        fault.code ?? 'Error',
        fault.message ?? `Injected HTTP ${fault.status}.`,
        fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) },
      );
    default:
      return undefined;
  }
}

/** Creates the HTTPS server; `hanging` collects responses a `hang` fault holds open, so stop can end them. */
export function createArmServer(deps: ArmServerDeps, tls: KeyPair, hanging: Set<ServerResponse>): Server {
  const hang = (res: ServerResponse): void => {
    hanging.add(res);
    res.on('close', () => hanging.delete(res));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', `https://${req.headers.host ?? '127.0.0.1'}`);
    for await (const _chunk of req) {
      // Bodies are not needed (start and deallocate take none); drain them so keep-alive works.
    }
    const route = matchRoute(url.pathname, deps.world, url, deps.operations);
    const entry = deps.log.start({
      service: 'arm',
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.search,
      operation: route?.operation ?? 'unknown',
      ...(route?.target !== undefined && { target: route.target }),
    });
    res.on('finish', () => (entry.status = res.statusCode));
    const latency = deps.latencyMs();
    if (latency > 0) await sleep(latency);

    const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (token !== deps.token) {
      return send(
        res,
        errorReply(
          new ArmError(
            401,
            'AuthenticationFailed',
            'Authentication failed. The Authorization header is missing or invalid.',
          ),
        ),
      );
    }
    if (!route) {
      return send(
        res,
        errorReply(
          new ArmError(
            404,
            'InvalidResourceType',
            `The simulator does not serve ${req.method} ${url.pathname}.`,
          ),
        ),
      );
    }
    if (req.method !== route.method) {
      return send(res, {
        ...errorReply(
          new ArmError(
            405,
            'MethodNotAllowed',
            `Method ${req.method} is not allowed on ${url.pathname}; use ${route.method}.`,
          ),
        ),
        headers: { allow: route.method },
      });
    }
    if (!url.searchParams.get('api-version')) {
      return send(
        res,
        errorReply(
          new ArmError(
            400,
            'MissingApiVersionParameter',
            'The api-version query parameter (?api-version=) is required for all requests.',
          ),
        ),
      );
    }

    const rule: ArmFaultRule | undefined = deps.faults.take(route.operation, route.target);
    const failure = rule && faultError(rule.fault);
    if (rule?.fault.kind === 'hang' && rule.when !== 'after') return hang(res);
    if (failure && rule?.when !== 'after') return send(res, errorReply(failure));

    const hidden = rule?.fault.kind === 'omitPowerState' ? rule.target?.toLowerCase() : undefined;
    const ctx: RouteContext = {
      world: deps.world,
      operations: deps.operations,
      url,
      pageSize: deps.pageSize,
      retryAfter: deps.retryAfter,
      iso: (ms) => new Date(ms).toISOString(),
      hidesPower: (machine: Machine) =>
        rule?.fault.kind === 'omitPowerState' &&
        (hidden === undefined || machine.key === hidden || machine.placement.name.toLowerCase() === hidden),
      ...(rule?.fault.kind === 'allocationFailed' && { failWith: ALLOCATION_FAILED }),
    };
    deps.operations.settle();
    let reply: Reply;
    try {
      reply = route.handle(ctx);
    } catch (error) {
      if (!(error instanceof ArmError)) throw error;
      reply = errorReply(error);
    }
    if (rule?.fault.kind === 'hang') return hang(res);
    send(res, failure ? errorReply(failure) : reply);
  };

  return createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      send(
        res,
        errorReply(new ArmError(500, 'InternalServerError', `Simulator error: ${(error as Error).message}`)),
      );
    });
  });
}
