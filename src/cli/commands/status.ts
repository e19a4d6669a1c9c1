/**
 * `fortiflex-scaler status --policy F [--json | --format html | --format svg] [--rule NAME] [--pool NAME]`:
 * the status use case of `GET /api/status`, against the FortiFlex API and `AzureWebJobsStorage` (records,
 * audit, claims): per rule and pool desired vs actual, next transitions, last action and error per
 * entitlement, Pacific days and points saved this month (from the audit), and the 30-day forecast. Text by
 * default; `--json` the status answer; `--format html` the dashboard page and `--format svg` the week timeline,
 * both written to stdout. Read-only: no lease, no change.
 */
import type { Command } from 'commander';
import { createAppDependencies, type AppDependencies } from '../../app/dependencies';
import { buildStatus, renderStatusSvg } from '../../app/reconcile/status';
import type { Policy } from '../../lib/rules';
import { renderDashboardHtml } from '../../lib/views/dashboard';
import { printJson, UsageError, type CliIo } from '../io';
import { loadPolicyFile, readTextFile, withSettings } from '../setup';
import { formatStatusText } from '../status-text';

const FORMATS = ['text', 'json', 'html', 'svg'] as const;
type Format = (typeof FORMATS)[number];

interface StatusOptions {
  policy: string;
  json?: boolean;
  format?: string;
  rule?: string;
  pool?: string;
}

/** Seams for tests: how dependencies are built from the parsed policy, and how files are read. */
export interface StatusCommandDeps {
  createDependencies?: (policy: Policy) => Promise<AppDependencies>;
  readTextFile?: (path: string) => Promise<string>;
}

function formatOf(options: StatusOptions): Format {
  const format = options.format?.toLowerCase();
  if (format !== undefined && !(FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(
      `--format: "${options.format}" is not a format; expected one of: ${FORMATS.join(', ')}`,
    );
  }
  if (options.json && format !== undefined && format !== 'json') {
    throw new UsageError(`--json: cannot be combined with --format ${format}; expected one of them`);
  }
  return options.json ? 'json' : ((format as Format | undefined) ?? 'text');
}

/** Checks the named rule and pool against the policy: bad usage names the option and the accepted names. */
function checkNames(policy: Policy, file: string, options: StatusOptions, format: Format): void {
  const check = (option: string, value: string | undefined, names: string[], what: string) => {
    if (value === undefined || names.includes(value)) return;
    throw new UsageError(
      `${option}: "${value}" is not a ${what} of ${file}; expected one of: ${names.join(', ') || 'none'}`,
    );
  };
  check(
    '--rule',
    options.rule,
    policy.rules.map((r) => r.name),
    'rule',
  );
  check(
    '--pool',
    options.pool,
    policy.pools.map((p) => p.name),
    'pool',
  );
  if (format === 'svg' && options.pool !== undefined) {
    throw new UsageError(
      '--pool: the SVG timeline draws rules only; expected --format html or text for a pool',
    );
  }
}

/** Builds the `status` registrar over `deps` (production defaults read the environment). */
export function createStatusRegistrar(deps: StatusCommandDeps = {}) {
  return (program: Command, io: CliIo): void => {
    program
      .command('status')
      .description(
        'desired vs actual per rule and pool, last actions and errors, savings this month, 30-day forecast (reads FortiFlex and AzureWebJobsStorage; changes nothing)',
      )
      .requiredOption('--policy <file>', 'policy file (YAML or JSON)')
      .option('--json', 'print the status answer as JSON')
      .option(
        '--format <format>',
        'text (default), json, html (the dashboard page) or svg (the week timeline)',
      )
      .option('--rule <name>', 'only this rule')
      .option('--pool <name>', 'only this pool')
      .action(async (options: StatusOptions) => {
        const format = formatOf(options);
        const policy = await loadPolicyFile(options.policy, io, deps.readTextFile ?? readTextFile);
        checkNames(policy, options.policy, options, format);
        const create =
          deps.createDependencies ?? ((p: Policy) => createAppDependencies({ env: process.env, policy: p }));
        const app = await withSettings(() => create(policy), io);
        const now = app.now();
        if (format === 'svg') {
          io.stdout(
            await renderStatusSvg(app, now, options.rule !== undefined ? { rule: options.rule } : {}),
          );
          return;
        }
        const report = await buildStatus(app, now, {
          ...(options.rule !== undefined && { rule: options.rule }),
          ...(options.pool !== undefined && { pool: options.pool }),
        });
        if (format === 'json') printJson(io, report);
        else if (format === 'html') io.stdout(renderDashboardHtml(report));
        else io.stdout(formatStatusText(report));
      });
  };
}

/** Registers `status`. */
export const register = createStatusRegistrar();
