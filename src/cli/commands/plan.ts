/**
 * `fortiflex-scaler plan --policy F [--at ISO] [--records FILE] [--json]`: what a reconcile would do now (or at
 * `--at`), against the entitlements FortiFlex reports right now. Changes nothing.
 */
import type { Command } from 'commander';
import { planActions, roundPoints, runsAfter, type PlannerRecord } from '../../lib/rules';
import { formatTable, printJson, UsageError, type CliIo } from '../io';
import { parseInstantOption } from '../options';
import { cliSettings, loadPolicyFile, readFleet, withDefaults, type PlanningDeps } from '../setup';

/** The command family as a registrar with its seams filled in. */
export type PlanningRegistrar = (program: Command, io: CliIo) => void;

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

/** The reconcile runs after `now` per `SCALER_SCHEDULE` (as the timer would run them); a bad one is bad usage. */
async function laterRunsAt(now: Date): Promise<Date[]> {
  const { schedule } = await cliSettings(process.env);
  try {
    return runsAfter(schedule, now);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

interface PlanOptions {
  policy: string;
  at?: string;
  records?: string;
  json?: boolean;
}

async function runPlan(options: PlanOptions, io: CliIo, deps: Required<PlanningDeps>): Promise<void> {
  const now = options.at === undefined ? new Date() : parseInstantOption('--at', options.at);
  const policy = await loadPolicyFile(options.policy, io, deps.readTextFile);
  const records = options.records === undefined ? [] : await loadRecords(options.records, deps);
  const client = await deps.createClient();
  const fleet = await readFleet(client, policy);
  const { entitlements, rates } = fleet;
  const laterRuns = await laterRunsAt(now);
  const plan = planActions({ policy, entitlements, records, now, rates, laterRuns });
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
  const notes = [...plan.notes, ...fleet.notes];
  if (options.records === undefined) {
    notes.push(
      'no --records given: STOPPED entitlements count as stopped outside the scaler and are not reactivated',
    );
  }
  for (const note of notes) io.stdout(`note: ${note}\n`);
  io.stdout(
    `\n${plan.actions.length} action(s), ${plan.skipped.length} skipped, ${plan.unchanged} unchanged; ` +
      `saves ${days} Pacific entitlement-day(s), ${roundPoints(points)} points\n`,
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
