/**
 * HTTP POST `/api/scale/{pool}` (`authLevel: function`): the scale webhook. Thin adapter: enforces the body
 * limit before reading (declared length) and while reading (actual bytes), hands the raw bytes to the use case (signatures are over the raw body) and maps its
 * answer: 202 queued, 200 duplicate, 400/401/403/404/413 rejected (nothing changed), 503 when storage or Key
 * Vault fail (Azure Monitor retries 503).
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { declaresMoreThan, readAtMost } from '../app/http-body';
import type { PoolDeps } from '../app/pools';

/** Resolves the dependencies for one invocation. */
export type PoolDependencyResolver = () => Promise<PoolDeps>;

const fromEnvironment: PoolDependencyResolver = async () =>
  (await import('../app/dependencies.js')).getAppDependencies();

/** The use case, loaded on first use and then kept (a module loader may resolve every `import()` again). */
let webhookModule: Promise<typeof import('../app/webhook.js')> | undefined;
const loadWebhook = () => (webhookModule ??= import('../app/webhook.js'));

/** Largest body read, in bytes (the use case answers 413 above it). */
const MAX_BYTES = 64 * 1024;

const tooLarge = (): HttpResponseInit => ({
  status: 413,
  jsonBody: { error: `body larger than ${MAX_BYTES} bytes` },
});

/** Log-safe form of caller-supplied text: one line, bounded (a pool name or rule may hold anything). */
const loggable = (value: unknown): string => JSON.stringify(String(value)).slice(0, 300);

/** Builds the webhook handler over `resolve` (tests pass their own dependencies). */
export function createScaleHandler(resolve: PoolDependencyResolver = fromEnvironment) {
  return async function scale(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
    const contentLength = request.headers.get('content-length');
    if (declaresMoreThan(contentLength, MAX_BYTES)) return tooLarge();
    const poolName = loggable(request.params.pool ?? '');
    try {
      // Read at most the limit (chunked bodies declare no length) before anything else is loaded.
      const body = await readAtMost(request.body, MAX_BYTES);
      if (!body) return tooLarge();
      const [{ handleScaleWebhook }, deps] = await Promise.all([loadWebhook(), resolve()]);
      const answer = await handleScaleWebhook(deps, {
        pool: request.params.pool ?? '',
        body,
        contentLength,
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
      const message = (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 300);
      context.error(`scale ${poolName}: not queued: ${message}`);
      return { status: 503, jsonBody: { error: 'temporarily unable to queue the request; retry' } };
    }
  };
}

/** The registered handler. */
export const scale = createScaleHandler();

app.http('scale', { methods: ['POST'], route: 'scale/{pool}', authLevel: 'function', handler: scale });
