/**
 * HTTP POST `/api/run` (`authLevel: function`): one reconcile now, `?dryRun=true` to plan and audit only.
 * Answers 200 with the run summary; 409 with the (skipped) summary when another run holds the lease, so a
 * caller can tell "nothing to do" from "not done"; 400 for a bad `dryRun` value; 500 (reason and invocation
 * id; the detail is logged) when the run could not plan (policy or storage problem).
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { errorResponse, fromEnvironment, type DependencyResolver } from './http';

/** Parses `?dryRun=`: absent/false/0 → false, true/1/empty → true. */
function parseDryRun(value: string | null): boolean | undefined {
  if (value === null) return false;
  const v = value.trim().toLowerCase();
  if (v === '' || v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  return undefined;
}

/** Builds the runNow handler over `resolve` (tests pass their own dependencies). */
export function createRunNowHandler(resolve: DependencyResolver = fromEnvironment) {
  return async function runNow(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
    const dryRun = parseDryRun(request.query.get('dryRun'));
    if (dryRun === undefined) {
      return { status: 400, jsonBody: { error: 'dryRun: expected true or false' } };
    }
    try {
      const [{ runReconcile }, { formatSummaryLine }, deps] = await Promise.all([
        import('../app/reconcile/reconcile.js'),
        import('../app/reconcile/run-summary.js'),
        resolve(),
      ]);
      const summary = await runReconcile(deps, deps.now(), {
        actor: 'runNow',
        dryRun,
        log: (line) => context.log(line),
      });
      context.log(formatSummaryLine(summary));
      return { status: summary.skippedReason ? 409 : 200, jsonBody: summary };
    } catch (error) {
      return errorResponse(error, context, 'runNow failed');
    }
  };
}

/** The registered handler. */
export const runNow = createRunNowHandler();

app.http('runNow', { methods: ['POST'], route: 'run', authLevel: 'function', handler: runNow });
