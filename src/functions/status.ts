/**
 * HTTP GET `/api/status` (`authLevel: function`): per rule and pool, desired vs actual state, next
 * transitions, last action and error per entitlement, PT days and points saved this month and the 30-day
 * forecast, as JSON. `?format=html` answers the dashboard page (self-contained, nothing to load), `?format=svg`
 * the week timeline picture (`image/svg+xml`). `?rule=NAME` and `?pool=NAME` narrow the answer (the SVG draws
 * rules only).
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { errorResponse, fromEnvironment, type DependencyResolver } from './http';

const FORMATS = ['json', 'html', 'svg'] as const;

/** Builds the status handler over `resolve` (tests pass their own dependencies). */
export function createStatusHandler(resolve: DependencyResolver = fromEnvironment) {
  return async function status(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
    const format = (request.query.get('format') ?? 'json').toLowerCase();
    if (!(FORMATS as readonly string[]).includes(format)) {
      return { status: 400, jsonBody: { error: 'format: expected json, html or svg' } };
    }
    const rule = request.query.get('rule') ?? undefined;
    const pool = request.query.get('pool') ?? undefined;
    if (format === 'svg' && pool !== undefined) {
      return {
        status: 400,
        jsonBody: { error: 'pool: the SVG draws rules only; expected format=html or json' },
      };
    }
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
      const report = await buildStatus(deps, now, {
        ...(rule !== undefined && { rule }),
        ...(pool !== undefined && { pool }),
      });
      if (format === 'html') {
        const { renderDashboardHtml, DASHBOARD_CSP } = await import('../lib/views/dashboard.js');
        return {
          status: 200,
          body: renderDashboardHtml(report),
          headers: {
            'content-type': 'text/html; charset=utf-8',
            'content-security-policy': `${DASHBOARD_CSP}; frame-ancestors 'none'`,
            'x-content-type-options': 'nosniff',
            'referrer-policy': 'no-referrer',
            'cache-control': 'no-store',
          },
        };
      }
      return { status: 200, jsonBody: report };
    } catch (error) {
      return errorResponse(error, context, 'status failed');
    }
  };
}

/** The registered handler. */
export const status = createStatusHandler();

app.http('status', { methods: ['GET'], route: 'status', authLevel: 'function', handler: status });
