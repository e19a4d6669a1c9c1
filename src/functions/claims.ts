/**
 * License claims over HTTP (`authLevel: function`):
 * - POST `/api/pools/{pool}/claims` with `{ "instanceId": "<vm name>" }` → 200 `{ serialNumber, token, status }`
 *   (409 with the pool's numbers when it is at max);
 * - DELETE `/api/pools/{pool}/claims/{instanceId}[?regenerateToken=true]` → 204 (404 for an instance that
 *   holds no claim).
 * Tokens appear only in the claim response body, never in logs.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import type { PoolDeps } from '../app/pools/deps';
import { InvalidRequestError } from '../app/errors';
import {
  errorResponse,
  fromEnvironment,
  loggable,
  parseJson,
  readBody,
  type DependencyResolver,
} from './http';

const MAX_BYTES = 4 * 1024;

/**
 * The use-case modules, loaded on first use (a cold start that never claims does not pay for them) and then
 * kept: a module loader may resolve every `import()` again, which a claim should not wait for.
 */
let claimsModule: Promise<typeof import('../app/pools/claims.js')> | undefined;
let releaseModule: Promise<typeof import('../app/pools/release.js')> | undefined;
const loadClaims = () => (claimsModule ??= import('../app/pools/claims.js'));
const loadRelease = () => (releaseModule ??= import('../app/pools/release.js'));

/** Builds the claim handler over `resolve`. */
export function createClaimHandler(resolve: DependencyResolver<PoolDeps> = fromEnvironment) {
  return async function claimLicense(
    request: HttpRequest,
    context: InvocationContext,
  ): Promise<HttpResponseInit> {
    const pool = request.params.pool ?? '';
    try {
      const body = parseJson(await readBody(request, MAX_BYTES), 'JSON {"instanceId": "<vm name>"}');
      const claims = await loadClaims();
      const instanceId = claims.normalizeInstanceId(
        typeof body === 'object' && body !== null ? (body as { instanceId?: unknown }).instanceId : undefined,
      );
      const deps = await resolve();
      const outcome = await claims.claimLicense(deps, pool, instanceId, { runId: context.invocationId });
      context.log(`claim ${loggable(pool)}/${instanceId}: ${outcome.serialNumber} (${outcome.source})`);
      return {
        status: 200,
        headers: { 'Cache-Control': 'no-store' },
        jsonBody: { serialNumber: outcome.serialNumber, token: outcome.token, status: outcome.status },
      };
    } catch (error) {
      return errorResponse(error, context, `claim ${loggable(pool)} failed`);
    }
  };
}

/** Parses `?regenerateToken=`: absent/false/0 → false, true/1/empty → true. */
function regenerateFlag(value: string | null): boolean {
  const normalized = value?.trim().toLowerCase();
  if (normalized === undefined || normalized === 'false' || normalized === '0') return false;
  if (normalized === 'true' || normalized === '1' || normalized === '') return true;
  throw new InvalidRequestError('regenerateToken: expected true or false', 'regenerateToken');
}

/** Builds the release handler over `resolve`. */
export function createReleaseHandler(resolve: DependencyResolver<PoolDeps> = fromEnvironment) {
  return async function releaseLicense(
    request: HttpRequest,
    context: InvocationContext,
  ): Promise<HttpResponseInit> {
    const pool = request.params.pool ?? '';
    try {
      const regenerateToken = regenerateFlag(request.query.get('regenerateToken'));
      const [claims, release] = await Promise.all([loadClaims(), loadRelease()]);
      const instanceId = claims.normalizeInstanceId(request.params.instanceId);
      const deps = await resolve();
      const outcome = await release.releaseClaim(deps, pool, instanceId, {
        runId: context.invocationId,
        regenerateToken,
      });
      context.log(`release ${loggable(pool)}/${instanceId}: ${outcome}`);
      return { status: 204 };
    } catch (error) {
      return errorResponse(error, context, `release ${loggable(pool)} failed`);
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
