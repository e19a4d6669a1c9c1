/**
 * HTTP POST `/api/scale/{pool}` (`authLevel: function`): the scale webhook. Thin adapter: enforces the body
 * limit before reading (declared length) and while reading (actual bytes), hands the raw bytes to the use case
 * (signatures are over the raw body) and maps its answer: 202 queued, 200 duplicate, 400/401/403/404/413
 * rejected (nothing changed), 503 when storage or Key Vault fail (Azure Monitor retries 503).
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import type { PoolDeps } from '../app/pools/deps';
import { errorResponse, fromEnvironment, loggable, readBody, type DependencyResolver } from './http';

/** The use case, loaded on first use and then kept (a module loader may resolve every `import()` again). */
let webhookModule: Promise<typeof import('../app/pools/webhook.js')> | undefined;
const loadWebhook = () => (webhookModule ??= import('../app/pools/webhook.js'));

/** Largest body read, in bytes (the use case answers 413 above it). */
const MAX_BYTES = 64 * 1024;

/** Builds the webhook handler over `resolve` (tests pass their own dependencies). */
export function createScaleHandler(resolve: DependencyResolver<PoolDeps> = fromEnvironment) {
  return async function scale(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
    const poolName = loggable(request.params.pool ?? '');
    try {
      // Read at most the limit (chunked bodies declare no length) before anything else is loaded.
      const body = await readBody(request, MAX_BYTES);
      const [{ handleScaleWebhook }, deps] = await Promise.all([loadWebhook(), resolve()]);
      const answer = await handleScaleWebhook(deps, {
        pool: request.params.pool ?? '',
        body,
        contentLength: request.headers.get('content-length'),
        signature: request.headers.get('x-signature'),
      });
      if (answer.status >= 400) {
        context.warn(`scale ${poolName}: ${answer.status} ${loggable(answer.body.error)}`);
      } else {
        context.log(`scale ${poolName}: ${answer.status} ${JSON.stringify(answer.body)}`);
      }
      return { status: answer.status, jsonBody: answer.body };
    } catch (error) {
      // Storage, Key Vault or policy trouble: worth a retry. The detail goes to the log, never the answer.
      return errorResponse(error, context, `scale ${poolName}: not queued`, {
        unexpectedStatus: 503,
        retryReason: 'temporarily unable to queue the request; retry',
      });
    }
  };
}

/** The registered handler. */
export const scale = createScaleHandler();

app.http('scale', { methods: ['POST'], route: 'scale/{pool}', authLevel: 'function', handler: scale });
