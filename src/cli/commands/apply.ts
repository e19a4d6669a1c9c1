/**
 * `fortiflex-scaler apply --policy F [--dry-run] [--json]`: one reconcile run now, exactly as the timer
 * function does it (same lease, records and audit in `AzureWebJobsStorage`), with the policy from a file and
 * FortiFlex credentials and URLs from the environment. Exit 0 when every action succeeded (or the run was
 * skipped because another run holds the lease), 1 when some failed or the run could list and change nothing
 * (credentials refused, FortiFlex unreachable), 2 for bad usage, an invalid policy or bad settings.
 */
import type { Command } from 'commander';
import { createAppDependencies, type AppDependencies } from '../../app/dependencies';
import { runReconcile } from '../../app/reconcile/reconcile';
import { formatSummaryLine, runFailure, type RunSummary } from '../../app/reconcile/run-summary';
import { formatTable, printJson, type CliIo } from '../io';
import { loadPolicyFile, readTextFile, withSettings } from '../setup';

interface ApplyOptions {
  policy: string;
  dryRun?: boolean;
  json?: boolean;
}

/** Seams for tests: how dependencies are built from the parsed policy. */
export interface ApplyDeps {
  createDependencies?: (policy: Awaited<ReturnType<typeof loadPolicyFile>>) => Promise<AppDependencies>;
  readTextFile?: (path: string) => Promise<string>;
}

/** Prints a run summary as a table of actions plus the one-line summary. */
export function formatRun(summary: RunSummary): string {
  const rows = summary.actions.map((a) => ({
    serialNumber: a.serialNumber,
    action: a.action === 'switchConfig' ? `switchConfig → ${a.targetConfigId}` : a.action,
    rule: a.rule,
    outcome: a.outcome,
    ptDaysSaved: a.ptDaysSaved,
    pointsSaved: a.pointsSaved,
    note: a.error ?? a.reason,
  }));
  const table =
    rows.length > 0
      ? formatTable(rows, ['serialNumber', 'action', 'rule', 'outcome', 'ptDaysSaved', 'pointsSaved', 'note'])
      : '';
  return `${table}${formatSummaryLine(summary)}\n`;
}

/** Builds the `apply` registrar over `deps` (production defaults read the environment). */
export function createApplyRegistrar(deps: ApplyDeps = {}) {
  return (program: Command, io: CliIo): void => {
    program
      .command('apply')
      .description(
        'run one reconcile now: plan against FortiFlex and apply it (records and audit in Azure Storage)',
      )
      .requiredOption('--policy <file>', 'policy file (YAML or JSON)')
      .option('--dry-run', 'plan and audit only; change nothing')
      .option('--json', 'print the run summary as JSON')
      .action(async (options: ApplyOptions) => {
        const policy = await loadPolicyFile(options.policy, io, deps.readTextFile ?? readTextFile);
        const create =
          deps.createDependencies ??
          ((p: typeof policy) => createAppDependencies({ env: process.env, policy: p }));
        const app: AppDependencies = await withSettings(() => create(policy), io);
        const summary = await runReconcile(app, app.now(), { actor: 'cli', dryRun: options.dryRun === true });
        if (options.json) printJson(io, summary);
        else io.stdout(formatRun(summary));
        const failure = runFailure(summary);
        if (failure !== undefined) throw new Error(failure);
        if (summary.failed > 0) {
          throw new Error(
            `${summary.failed} of ${summary.planned} action(s) failed; the next run retries them`,
          );
        }
      });
  };
}

/** Registers `apply`. */
export const register = createApplyRegistrar();
