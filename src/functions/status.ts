/**
 * HTTP GET `/api/status` (`authLevel: function`): per rule, desired vs actual state, next transitions, last
 * action and error per entitlement, PT days and points saved this month and the 30-day forecast, as JSON.
 * `?format=svg` answers the week timeline picture instead (`image/svg+xml`); `?rule=NAME` narrows it.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { errorResponse, fromEnvironment, type DependencyResolver } from './http';

/** Builds the status handler over `resolve` (tests pass their own dependencies). */
export function createStatusHandler(resolve: DependencyResolver = fromEnvironment) {
  return async function status(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
    const format = (request.query.get('format') ?? 'json').toLowerCase();
    if (format !== 'json' && format !== 'svg') {
      return { status: 400, jsonBody: { error: 'format: expected json or svg' } };
    }
    const rule = request.query.get('rule') ?? undefined;
    try {
      const [{ buildStatus, renderStatusSvg }, deps] = await Promise.all([
        import('../app/reconcile/status.js'),
        resolve(),
      ]);
      const now = deps.now();
      if (format === 'svg') {
        const svg = await renderStatusSvg(deps, now, rule ? { rule } : {});
        return { status: 200, body: svg, headers: { 'content-type': 'image/svg+xml; charset=utf-8' } };
      }
      return { status: 200, jsonBody: await buildStatus(deps, now) };
    } catch (error) {
      return errorResponse(error, context, 'status failed');
    }
  };
}

/** The registered handler. */
export const status = createStatusHandler();

app.http('status', { methods: ['GET'], route: 'status', authLevel: 'function', handler: status });
