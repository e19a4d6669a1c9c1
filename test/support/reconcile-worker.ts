/**
 * A functions worker process for multi-process tests: runs the registered `reconcile` timer handler with
 * the real `@azure/functions` objects, dependencies built from this process's environment exactly as in
 * Azure (`getAppDependencies`), `RUNS` times (default 3). Prints one line per run; exits 1 when a run
 * failed or logged a warning or an error.
 *
 * Run: node --import tsx test/support/reconcile-worker.ts
 */
import { InvocationContext } from '@azure/functions';
import { reconcileTimer } from '../../src/functions/reconcile';

async function run(): Promise<number> {
  const runs = Number(process.env.RUNS ?? '3');
  let failed = false;
  for (let i = 0; i < runs; i += 1) {
    const lines: string[] = [];
    const context = new InvocationContext({
      functionName: 'reconcile',
      invocationId: `worker-${process.pid}-${i}`,
      logHandler: (level, ...args) => {
        lines.push(`[${level}] ${args.map(String).join(' ')}`);
        if (level === 'warning' || level === 'error') failed = true;
      },
    });
    try {
      await reconcileTimer(
        { isPastDue: false, schedule: { adjustForDST: false }, scheduleStatus: null as never },
        context,
      );
    } catch {
      failed = true;
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return failed ? 1 : 0;
}

void run().then((code) => {
  process.exitCode = code;
});
