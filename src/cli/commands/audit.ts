/**
 * `fortiflex-scaler audit [--serial SN] [--since DATE] [--until DATE] [--limit N] [--json]`: the audit trail
 * from the state storage named by `AzureWebJobsStorage`, newest first — who did what to which entitlement,
 * when and why.
 *
 * Dates: `YYYY-MM-DD` is a UTC day (the audit is partitioned by UTC day); `--since` starts at its midnight and
 * `--until` includes the whole day. ISO instants with `Z` or an offset are accepted too (`--until` exclusive).
 */
import type { Command } from 'commander';
import { loadSettings } from '../../app/settings';
import { createStateStore, type AuditEntry, type StateStore, type StorageSettings } from '../../lib/state';
import { formatTable, printJson, UsageError, type CliIo } from '../io';
import { parseIntegerOption } from '../options';
import { withSettings } from '../setup';

/** Seams of `audit`: where settings come from and how the store is built. */
export interface AuditDeps {
  env?: NodeJS.ProcessEnv;
  createStore?: (storage: StorageSettings) => Promise<Pick<StateStore, 'audit'>>;
}

interface AuditOptions {
  serial?: string;
  since?: string;
  until?: string;
  limit: string;
  json?: boolean;
}

const DAY_MS = 86_400_000;
const DATE_FORM = 'expected YYYY-MM-DD (a UTC day) or an ISO instant such as 2026-03-02T08:00:00Z';

/** Parses `--since` / `--until`; a bare day means its start, or for `--until` the end of it. */
export function parseAuditDate(option: '--since' | '--until', value: string): Date {
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (day) {
    const start = new Date(`${value}T00:00:00.000Z`);
    // Reject rollovers such as 2026-02-30, which Date would silently turn into March.
    if (Number.isNaN(start.getTime()) || start.toISOString().slice(0, 10) !== value) {
      throw new UsageError(`${option}: "${value}" is not a date; ${DATE_FORM}`);
    }
    return option === '--until' ? new Date(start.getTime() + DAY_MS) : start;
  }
  const instant = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(value)
    ? new Date(value)
    : undefined;
  if (instant === undefined || Number.isNaN(instant.getTime())) {
    throw new UsageError(`${option}: "${value}" is not a date; ${DATE_FORM}`);
  }
  return instant;
}

function row(e: AuditEntry): Record<string, unknown> {
  return {
    at: e.at,
    actor: e.actor,
    serial: e.serialNumber,
    action: e.action,
    outcome: e.outcome,
    'rule/pool': e.rule ?? e.pool,
    reason: e.error === undefined ? e.reason : `${e.reason} (error: ${e.error.split('\n')[0]})`,
  };
}

async function runAudit(options: AuditOptions, io: CliIo, deps: Required<AuditDeps>): Promise<void> {
  const since = options.since === undefined ? undefined : parseAuditDate('--since', options.since);
  const until = options.until === undefined ? undefined : parseAuditDate('--until', options.until);
  if (since && until && since >= until) {
    throw new UsageError(`--until: must be after --since (${options.since})`);
  }
  const limit = parseIntegerOption('--limit', options.limit, { min: 1 });
  const { storage } = await withSettings(() => loadSettings(deps.env));
  const store = await deps.createStore(storage);
  const entries = await store.audit.query({
    ...(options.serial !== undefined && { serialNumber: options.serial }),
    ...(since && { since }),
    ...(until && { until }),
    limit,
  });
  if (options.json) return printJson(io, entries);
  if (entries.length === 0) {
    io.stdout('No audit entries match.\n');
    return;
  }
  io.stdout(
    formatTable(entries.map(row), ['at', 'actor', 'serial', 'action', 'outcome', 'rule/pool', 'reason']),
  );
}

/** Builds the `audit` registrar with injectable seams (tests pass a store on Azurite). */
export function createAuditRegistrar(deps: AuditDeps = {}): (program: Command, io: CliIo) => void {
  const resolved: Required<AuditDeps> = {
    env: deps.env ?? process.env,
    createStore: deps.createStore ?? ((storage) => createStateStore(storage)),
  };
  return (program, io) => {
    program
      .command('audit')
      .description('print the audit trail (newest first): who changed which entitlement, when and why')
      .option('--serial <serialNumber>', 'only entries about this entitlement')
      .option('--since <date>', 'from this UTC day (YYYY-MM-DD) or ISO instant, inclusive')
      .option('--until <date>', 'up to this UTC day (inclusive) or ISO instant (exclusive)')
      .option('--limit <n>', 'at most this many entries', '50')
      .option('--json', 'print JSON')
      .action((options: AuditOptions) => runAudit(options, io, resolved));
  };
}

/** The `audit` command family, wired to the real storage. */
export const register = createAuditRegistrar();
