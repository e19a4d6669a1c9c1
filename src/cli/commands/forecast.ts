/**
 * `fortiflex-scaler forecast --policy F --from DATE --to DATE [--json] [--svg FILE]`: per rule the off-hours
 * windows, Pacific days and points they save for the entitlements the rule selects today, windows that
 * save nothing, and advice on window changes that would save more. `--svg` writes a week timeline.
 *
 * Dates: `YYYY-MM-DD` is a Pacific billing day (the range starts at its Pacific midnight); `--to` is
 * exclusive. Full ISO instants with an offset are accepted too.
 */
import { writeFile } from 'node:fs/promises';
import { DateTime } from 'luxon';
import { forecast, renderTimelineSvg } from '../../lib/rules';
import { formatTable, printJson, UsageError, type CliIo } from '../io';
import {
  calcRates,
  listPolicyEntitlements,
  loadPolicyFile,
  parseInstantOption,
  withDefaults,
  type PlanningDeps,
  type PlanningRegistrar,
} from './plan';

/** Seams of `forecast`: those of `plan` plus where the SVG goes. */
export interface ForecastDeps extends PlanningDeps {
  writeTextFile?: (path: string, text: string) => Promise<void>;
}

/** Longest range accepted, in days (a forecast walks every transition in it). */
const MAX_RANGE_DAYS = 400;

/** Parses a `--from`/`--to` value: a Pacific day `YYYY-MM-DD` (its midnight) or an ISO instant with offset. */
export function parseDateOption(option: string, value: string): Date {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const day = DateTime.fromISO(value, { zone: 'America/Los_Angeles' });
    if (!day.isValid)
      throw new UsageError(`${option}: "${value}" is not a date; expected YYYY-MM-DD, e.g. 2026-03-02`);
    return day.toJSDate();
  }
  if (value.includes('T')) return parseInstantOption(option, value);
  throw new UsageError(
    `${option}: "${value}" is not a date; expected YYYY-MM-DD (a Pacific billing day), e.g. 2026-03-02`,
  );
}

interface ForecastOptions {
  policy: string;
  from: string;
  to: string;
  json?: boolean;
  svg?: string;
}

async function runForecast(
  options: ForecastOptions,
  io: CliIo,
  deps: Required<PlanningDeps> & Pick<Required<ForecastDeps>, 'writeTextFile'>,
): Promise<void> {
  const from = parseDateOption('--from', options.from);
  const to = parseDateOption('--to', options.to);
  if (to.getTime() <= from.getTime()) {
    throw new UsageError(
      `--to: "${options.to}" is not after --from "${options.from}"; expected a later date`,
    );
  }
  if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * 86_400_000) {
    throw new UsageError(`--to: range longer than ${MAX_RANGE_DAYS} days; expected a shorter range`);
  }
  const policy = await loadPolicyFile(options.policy, io, deps);
  const client = await deps.createClient();
  const entitlements = await listPolicyEntitlements(client, policy);
  const rates = await calcRates(client, policy, entitlements);
  const result = forecast({ policy, entitlements, from, to, rates });
  if (options.svg !== undefined) {
    try {
      await deps.writeTextFile(options.svg, renderTimelineSvg(result));
    } catch (error) {
      throw new Error(
        `--svg ${options.svg}: cannot write the file (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  }
  if (options.json) {
    printJson(io, result);
    return;
  }
  io.stdout(`Forecast ${result.from} – ${result.to} (Pacific billing days)\n\n`);
  io.stdout(
    formatTable(
      result.rules.map((r) => ({
        rule: r.rule,
        zone: r.timezone,
        entitlements: r.entitlements,
        windows: r.windows.length,
        unprofitable: r.unprofitableWindows,
        ptDaysSaved: r.ptDaysSaved,
        pointsPerDay: r.pointsPerDay,
        pointsSaved: r.pointsSaved,
      })),
      [
        'rule',
        'zone',
        'entitlements',
        'windows',
        'unprofitable',
        'ptDaysSaved',
        'pointsPerDay',
        'pointsSaved',
      ],
    ),
  );
  for (const rule of result.rules) {
    const unprofitable = rule.windows.filter((w) => w.unprofitable);
    if (unprofitable.length > 0) {
      io.stdout(
        `\n${rule.rule}: ${unprofitable.length} window(s) cover no whole Pacific day, e.g. ` +
          `${unprofitable[0]!.startLocal} – ${unprofitable[0]!.endLocal ?? '…'} ${rule.timezone}` +
          `${unprofitable[0]!.stops ? '' : ' (kept active: skipUnprofitableStops)'}\n`,
      );
    }
  }
  if (result.advice.length > 0) {
    io.stdout('\nAdvice:\n');
    for (const advice of result.advice) io.stdout(`- ${advice.rule}: ${advice.message}\n`);
  }
  for (const note of result.notes) io.stdout(`note: ${note}\n`);
  io.stdout(
    `\nTotal: ${result.totals.entitlements} entitlement(s), ${result.totals.entitlementDaysSaved} Pacific ` +
      `entitlement-day(s) saved, ${result.totals.pointsSaved} points\n`,
  );
  if (options.svg !== undefined) io.stdout(`Timeline written to ${options.svg}\n`);
}

/** Builds the `forecast` registrar with the given seams (tests inject a fake client and file writer). */
export function createForecastRegistrar(deps: ForecastDeps = {}): PlanningRegistrar {
  const resolved = {
    ...withDefaults(deps),
    writeTextFile: deps.writeTextFile ?? ((path: string, text: string) => writeFile(path, text, 'utf8')),
  };
  return (program, io) => {
    program
      .command('forecast')
      .description(
        'Pacific days and points each rule saves over a date range, unprofitable windows, and advice',
      )
      .requiredOption('--policy <file>', 'policy file (YAML or JSON)')
      .requiredOption('--from <date>', 'first Pacific billing day (YYYY-MM-DD) or ISO instant')
      .requiredOption('--to <date>', 'end (exclusive): Pacific billing day (YYYY-MM-DD) or ISO instant')
      .option('--json', 'print JSON')
      .option('--svg <file>', 'write a week timeline (SVG) starting at --from')
      .action((options: ForecastOptions) => runForecast(options, io, resolved));
  };
}

/** Registers `forecast`. */
export const register: PlanningRegistrar = createForecastRegistrar();
