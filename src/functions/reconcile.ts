/**
 * Timer trigger: one reconcile run on `SCALER_SCHEDULE` (NCRONTAB, UTC; default every 5 minutes). Thin
 * adapter: reads the clock once, runs the use case, logs a one-line summary. A late or missed tick needs no
 * special handling: reconcile is level-triggered, so the next run converges. A run that could list and change
 * nothing (credentials refused, FortiFlex unreachable) fails the invocation, so it shows as a failure.
 *
 * Only `@azure/functions` is loaded when the host indexes the app; the use case and its SDKs load on the
 * first invocation (see `http.ts` for why the imports name `.js` files).
 */
import { app, type InvocationContext, type Timer } from '@azure/functions';
import { errorMessage } from '../lib/error-message';
import { fromEnvironment, type DependencyResolver } from './http';

/** Builds the timer handler over `resolve` (tests pass their own dependencies). */
export function createReconcileHandler(resolve: DependencyResolver = fromEnvironment) {
  return async function reconcileTimer(timer: Timer, context: InvocationContext): Promise<void> {
    const [{ runReconcile }, { formatSummaryLine, runFailure }, telemetry] = await Promise.all([
      import('../app/reconcile/reconcile.js'),
      import('../app/reconcile/run-summary.js'),
      import('../app/telemetry.js'),
    ]);
    try {
      // Inside the try: a bad setting or an unreachable Key Vault is logged as one line like any other failure.
      const deps = await resolve();
      const now = deps.now();
      const summary = await runReconcile(deps, now, { actor: 'reconcile', log: (line) => context.log(line) });
      context.log(`${formatSummaryLine(summary)} (isPastDue=${timer?.isPastDue === true})`);
      // Structured lines for the alert rules and the workbook (see src/lib/telemetry.ts).
      for (const record of telemetry.runTelemetry(summary, 'timer')) context.log(record.line);
      for (const error of summary.errors) {
        context.warn(
          `reconcile ${summary.runId} ${error.stage}${error.serialNumber ? ` ${error.serialNumber}` : ''}: ${error.message}`,
        );
      }
      const failure = runFailure(summary);
      if (failure !== undefined) throw new Error(`reconcile ${summary.runId}: ${failure}`);
    } catch (error) {
      context.error(
        `reconcile failed (isPastDue=${timer?.isPastDue === true}): ${errorMessage(error, 1000)}`,
      );
      context.log(
        telemetry.runFailedTelemetry({ at: new Date().toISOString(), trigger: 'timer', error }).line,
      );
      throw error;
    }
  };
}

/** The registered timer handler (dependencies from the environment, built once per worker). */
export const reconcileTimer = createReconcileHandler();

app.timer('reconcile', { schedule: '%SCALER_SCHEDULE%', handler: reconcileTimer });
