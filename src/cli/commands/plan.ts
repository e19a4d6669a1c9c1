/**
 * `fortiflex-scaler plan --policy F [--at ISO] [--records FILE] [--json]`: what a reconcile would do now (or at
 * `--at`), against the entitlements FortiFlex reports right now. Changes nothing.
 *
 * Also home of the pieces `forecast` shares: reading and validating the policy file, listing the
 * entitlements of every scope the policy uses (one `entitlements/list` per account + program), and points
 * rates (policy first, then `tools/calc` for configs the policy does not price).
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { scopesOf } from '../../app/reconcile';
import type { FortiFlexClient } from '../../lib/fortiflex';
import type { Entitlement } from '../../lib/fortiflex/types';
import { parsePolicy, PolicyError, planActions, type PlannerRecord, type Policy } from '../../lib/rules';
import { createClientFromEnvironment } from '../client-factory';
import { formatTable, printJson, UsageError, type CliIo } from '../io';

/** The client calls the plan and forecast commands make. */
export type PlanningClient = Pick<FortiFlexClient, 'listEntitlements' | 'listConfigs' | 'calculatePoints'>;

/** Seams of the planning commands; production defaults read the environment and the file system. */
export interface PlanningDeps {
  createClient?: () => Promise<PlanningClient>;
  readTextFile?: (path: string) => Promise<string>;
}

/** The command family as a registrar with its seams filled in. */
export type PlanningRegistrar = (program: Command, io: CliIo) => void;

const defaultDeps: Required<PlanningDeps> = {
  createClient: () => createClientFromEnvironment(process.env),
  readTextFile: (path) => readFile(path, 'utf8'),
};

/** Fills unset seams with the production defaults. */
export function withDefaults(deps: PlanningDeps): Required<PlanningDeps> {
  return { ...defaultDeps, ...deps };
}

/**
 * Reads and validates the policy file. An unreadable file or an invalid policy is a {@link UsageError}
 * (exit 2); every policy problem is written to stderr first, one per line, prefixed with the file name.
 */
export async function loadPolicyFile(file: string, io: CliIo, deps: Required<PlanningDeps>): Promise<Policy> {
  let text: string;
  try {
    text = await deps.readTextFile(file);
  } catch (error) {
    throw new UsageError(
      `--policy ${file}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  try {
    return parsePolicy(text, file);
  } catch (error) {
    if (error instanceof PolicyError) {
      for (const issue of error.issues) io.stderr(`${file}: ${issue.path}: ${issue.message}\n`);
      throw new UsageError(
        `${file}: invalid policy, ${error.issues.length} problem${error.issues.length === 1 ? '' : 's'} (listed above)`,
      );
    }
    throw error;
  }
}

/** The entitlements of every scope the policy uses: one `entitlements/list` per scope, serials deduplicated. */
export async function listPolicyEntitlements(client: PlanningClient, policy: Policy): Promise<Entitlement[]> {
  const bySerial = new Map<string, Entitlement>();
  for (const scope of scopesOf(policy)) {
    for (const entitlement of await client.listEntitlements(scope))
      bySerial.set(entitlement.serialNumber, entitlement);
  }
  return [...bySerial.values()];
}

/**
 * Points per day for every config the entitlements use that the policy does not price, from `tools/calc`.
 * Best effort: a config that cannot be priced is left out (the planner counts it as 0 and says so).
 */
export async function calcRates(
  client: PlanningClient,
  policy: Policy,
  entitlements: readonly Entitlement[],
): Promise<Record<number, number>> {
  const wanted = new Set<number>();
  const priced = policy.rates ?? {};
  for (const e of entitlements) if (priced[e.configId] === undefined) wanted.add(e.configId);
  for (const rule of policy.rules) {
    if (typeof rule.offHours === 'object' && priced[rule.offHours.switchConfig] === undefined) {
      wanted.add(rule.offHours.switchConfig);
    }
  }
  const rates: Record<number, number> = {};
  if (wanted.size === 0) return rates;
  for (const scope of scopesOf(policy)) {
    let configs;
    try {
      configs = await client.listConfigs(scope);
    } catch {
      continue;
    }
    for (const config of configs) {
      if (!wanted.has(config.id) || rates[config.id] !== undefined) continue;
      try {
        const estimate = await client.calculatePoints({
          programSerialNumber: config.programSerialNumber,
          productTypeId: config.productType.id,
          parameters: config.parameters.map((p) => ({ id: p.id, value: p.value })),
        });
        rates[config.id] = estimate.current;
      } catch {
        // Left unpriced: the plan notes it.
      }
    }
  }
  return rates;
}

/** Parses `--at`: an ISO 8601 instant with an offset (or Z). */
export function parseInstantOption(option: string, value: string): Date {
  const at = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(value)
    ? new Date(value)
    : null;
  if (at === null || Number.isNaN(at.getTime())) {
    throw new UsageError(
      `${option}: "${value}" is not an instant; expected ISO 8601 with offset, e.g. 2026-03-06T19:00:00+01:00`,
    );
  }
  return at;
}

/** Reads a JSON array of scaler records (`[{ "serialNumber", "stoppedByScaler", … }]`). */
async function loadRecords(file: string, deps: Required<PlanningDeps>): Promise<PlannerRecord[]> {
  let value: unknown;
  try {
    value = JSON.parse(await deps.readTextFile(file));
  } catch (error) {
    throw new UsageError(
      `--records ${file}: cannot read a JSON file (${(error as Error).message.split('\n')[0]})`,
    );
  }
  if (!Array.isArray(value)) {
    throw new UsageError(
      `--records ${file}: expected a JSON array of { "serialNumber", "stoppedByScaler" } objects`,
    );
  }
  return value.map((entry, i) => {
    if (
      typeof entry !== 'object' ||
      entry === null ||
      typeof (entry as PlannerRecord).serialNumber !== 'string' ||
      typeof (entry as PlannerRecord).stoppedByScaler !== 'boolean'
    ) {
      throw new UsageError(
        `--records ${file}: [${i}] — expected { "serialNumber": string, "stoppedByScaler": boolean, … }`,
      );
    }
    return entry as PlannerRecord;
  });
}

interface PlanOptions {
  policy: string;
  at?: string;
  records?: string;
  json?: boolean;
}

async function runPlan(options: PlanOptions, io: CliIo, deps: Required<PlanningDeps>): Promise<void> {
  const now = options.at === undefined ? new Date() : parseInstantOption('--at', options.at);
  const policy = await loadPolicyFile(options.policy, io, deps);
  const records = options.records === undefined ? [] : await loadRecords(options.records, deps);
  const client = await deps.createClient();
  const entitlements = await listPolicyEntitlements(client, policy);
  const rates = await calcRates(client, policy, entitlements);
  const plan = planActions({ policy, entitlements, records, now, rates });
  if (options.json) {
    printJson(io, {
      at: plan.at,
      actions: plan.actions.map(({ serialNumber, action, rule, reason, ptDaysSaved, pointsSaved }) => ({
        serialNumber,
        action,
        rule,
        reason,
        ptDaysSaved,
        pointsSaved,
      })),
      skipped: plan.skipped.map(({ serialNumber, rule, reason }) => ({ serialNumber, rule, reason })),
    });
    return;
  }
  const days = plan.actions.reduce((sum, a) => sum + a.ptDaysSaved, 0);
  const points = plan.actions.reduce((sum, a) => sum + a.pointsSaved, 0);
  io.stdout(
    `Plan at ${plan.at} (${policy.mode === 'dryRun' ? 'policy mode dryRun' : 'policy mode enforce'}; nothing is changed)\n\n`,
  );
  if (plan.actions.length > 0) {
    io.stdout(
      formatTable(plan.actions, ['serialNumber', 'action', 'rule', 'ptDaysSaved', 'pointsSaved', 'reason']),
    );
  } else {
    io.stdout('No actions.\n');
  }
  if (plan.skipped.length > 0) {
    io.stdout(
      `\nSkipped:\n${formatTable(
        plan.skipped.map((s) => ({ ...s })),
        ['serialNumber', 'rule', 'reason'],
      )}`,
    );
  }
  const notes = [...plan.notes];
  if (options.records === undefined) {
    notes.push(
      'no --records given: STOPPED entitlements count as stopped outside the scaler and are not reactivated',
    );
  }
  for (const note of notes) io.stdout(`note: ${note}\n`);
  io.stdout(
    `\n${plan.actions.length} action(s), ${plan.skipped.length} skipped, ${plan.unchanged} unchanged; ` +
      `saves ${days} Pacific entitlement-day(s), ${Math.round(points * 100) / 100} points\n`,
  );
}

/** Builds the `plan` registrar with the given seams (tests inject a fake client). */
export function createPlanRegistrar(deps: PlanningDeps = {}): PlanningRegistrar {
  const resolved = withDefaults(deps);
  return (program, io) => {
    program
      .command('plan')
      .description(
        'show what a reconcile would do now (or at --at), with reasons and savings; changes nothing',
      )
      .requiredOption('--policy <file>', 'policy file (YAML or JSON)')
      .option('--at <iso>', 'plan as of this instant (ISO 8601 with offset) against current API state')
      .option(
        '--records <file>',
        'JSON array of scaler records (serialNumber, stoppedByScaler, lastAction, …)',
      )
      .option('--json', 'print JSON')
      .action((options: PlanOptions) => runPlan(options, io, resolved));
  };
}

/** Registers `plan`. */
export const register: PlanningRegistrar = createPlanRegistrar();
