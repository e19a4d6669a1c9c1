/**
 * License claims over HTTP (`authLevel: function`):
 * - POST `/api/pools/{pool}/claims` with `{ "instanceId": "<vm name>" }` → 200 `{ serialNumber, token, status }`
 *   (409 with the pool's numbers when it is at max);
 * - DELETE `/api/pools/{pool}/claims/{instanceId}[?regenerateToken=true]` → 204 (404 for an instance that
 *   holds no claim).
 * Tokens appear only in the claim response body, never in logs.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { declaresMoreThan, readAtMost } from '../app/http-body';
import type { PoolDeps } from '../app/pools';

/** Resolves the dependencies for one invocation. */
export type PoolDependencyResolver = () => Promise<PoolDeps>;

const fromEnvironment: PoolDependencyResolver = async () =>
  (await import('../app/dependencies.js')).getAppDependencies();

const MAX_BYTES = 4 * 1024;

/**
 * The use-case modules, loaded on first use (a cold start that never claims does not pay for them) and then
 * kept: a module loader may resolve every `import()` again, which a claim should not wait for.
 */
let claimsModule: Promise<typeof import('../app/claims.js')> | undefined;
let poolsModule: Promise<typeof import('../app/pools.js')> | undefined;
const loadClaims = () => (claimsModule ??= import('../app/claims.js'));
const loadPools = () => (poolsModule ??= import('../app/pools.js'));

async function errorResponse(
  error: unknown,
  context: InvocationContext,
  what: string,
): Promise<HttpResponseInit> {
  const [
    { UnknownPoolError, PoolBusyError },
    { PoolAtMaxError, ClaimNotFoundError, InvalidInstanceIdError },
  ] = await Promise.all([loadPools(), loadClaims()]);
  const message = (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
  if (error instanceof InvalidInstanceIdError)
    return { status: 400, jsonBody: { error: message, path: 'instanceId' } };
  if (error instanceof UnknownPoolError || error instanceof ClaimNotFoundError) {
    return { status: 404, jsonBody: { error: message } };
  }
  if (error instanceof PoolAtMaxError) return { status: 409, jsonBody: { error: message, ...error.numbers } };
  if (error instanceof PoolBusyError) {
    return { status: 503, headers: { 'Retry-After': '5' }, jsonBody: { error: message } };
  }
  // Anything else is ours (storage, FortiFlex, a bug): the detail goes to the log under the invocation id,
  // the caller gets no internals.
  context.error(`${what} failed: ${message.slice(0, 300)}`);
  const retryable = (error as { retryable?: unknown }).retryable === true;
  return {
    status: retryable ? 503 : 500,
    ...(retryable ? { headers: { 'Retry-After': '5' } } : {}),
    jsonBody: {
      error: retryable ? 'temporarily unable to serve the request; retry' : 'internal error',
      invocationId: context.invocationId,
    },
  };
}

/** Builds the claim handler over `resolve`. */
export function createClaimHandler(resolve: PoolDependencyResolver = fromEnvironment) {
  return async function claimLicense(
    request: HttpRequest,
    context: InvocationContext,
  ): Promise<HttpResponseInit> {
    const pool = request.params.pool ?? '';
    try {
      const tooLarge = { status: 413, jsonBody: { error: `body larger than ${MAX_BYTES} bytes` } };
      if (declaresMoreThan(request.headers.get('content-length'), MAX_BYTES)) return tooLarge;
      const bytes = await readAtMost(request.body, MAX_BYTES);
      if (!bytes) return tooLarge;
      let body: unknown;
      try {
        body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as unknown;
      } catch {
        return {
          status: 400,
          jsonBody: { error: 'body: expected JSON {"instanceId": "<vm name>"}', path: '' },
        };
      }
      const claims = await loadClaims();
      const instanceId = claims.normalizeInstanceId(
        typeof body === 'object' && body !== null ? (body as { instanceId?: unknown }).instanceId : undefined,
      );
      const deps = await resolve();
      const outcome = await claims.claimLicense(deps, pool, instanceId, { runId: context.invocationId });
      context.log(`claim ${pool}/${instanceId}: ${outcome.serialNumber} (${outcome.source})`);
      return {
        status: 200,
        headers: { 'Cache-Control': 'no-store' },
        jsonBody: { serialNumber: outcome.serialNumber, token: outcome.token, status: outcome.status },
      };
    } catch (error) {
      return errorResponse(error, context, `claim ${JSON.stringify(pool.slice(0, 200))}`);
    }
  };
}

/** Builds the release handler over `resolve`. */
export function createReleaseHandler(resolve: PoolDependencyResolver = fromEnvironment) {
  return async function releaseLicense(
    request: HttpRequest,
    context: InvocationContext,
  ): Promise<HttpResponseInit> {
    const pool = request.params.pool ?? '';
    try {
      const flag = request.query.get('regenerateToken');
      const normalized = flag?.trim().toLowerCase();
      if (normalized !== undefined && !['true', 'false', '1', '0', ''].includes(normalized)) {
        return {
          status: 400,
          jsonBody: { error: 'regenerateToken: expected true or false', path: 'regenerateToken' },
        };
      }
      const claims = await loadClaims();
      const instanceId = claims.normalizeInstanceId(request.params.instanceId);
      const deps = await resolve();
      const outcome = await claims.releaseClaim(deps, pool, instanceId, {
        runId: context.invocationId,
        regenerateToken: normalized === 'true' || normalized === '1' || normalized === '',
      });
      context.log(`release ${pool}/${instanceId}: ${outcome}`);
      return { status: 204 };
    } catch (error) {
      return errorResponse(error, context, `release ${JSON.stringify(pool.slice(0, 200))}`);
    }
  };
}

/** The registered handlers. */
export const claimLicense = createClaimHandler();
export const releaseLicense = createReleaseHandler();

app.http('claimLicense', {
  methods: ['POST'],
  route: 'pools/{pool}/claims',
  authLevel: 'function',
  handler: claimLicense,
});
app.http('releaseLicense', {
  methods: ['DELETE'],
  route: 'pools/{pool}/claims/{instanceId}',
  authLevel: 'function',
  handler: releaseLicense,
});
