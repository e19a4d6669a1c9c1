/**
 * `fortiflex-scaler forecast --policy F --from DATE --to DATE [--json] [--svg FILE]`: per rule the off-hours
 * windows, Pacific days and points they save for the entitlements the rule selects today, windows that
 * save nothing, and advice on window changes that would save more. `--svg` writes a week timeline.
 *
 * Dates: `YYYY-MM-DD` is a Pacific billing day (the range starts at its Pacific midnight); `--to` is
 * exclusive. Full ISO instants with an offset are accepted too.
 */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { forecast, renderTimelineSvg } from '../../lib/rules';
import { formatTable, printJson, UsageError, type CliIo } from '../io';
import { parsePacificDateOption } from '../options';
import { loadPolicyFile, readFleet, withDefaults, type PlanningDeps } from '../setup';

/** Seams of `forecast`: those of `plan` plus where the SVG goes. */
export interface ForecastDeps extends PlanningDeps {
  writeTextFile?: (path: string, text: string) => Promise<void>;
}

/** Longest range accepted, in days (a forecast walks every transition in it). */
const MAX_RANGE_DAYS = 400;

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
  const from = parsePacificDateOption('--from', options.from);
  const to = parsePacificDateOption('--to', options.to);
  if (to.getTime() <= from.getTime()) {
    throw new UsageError(
      `--to: "${options.to}" is not after --from "${options.from}"; expected a later date`,
    );
  }
  if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * 86_400_000) {
    throw new UsageError(`--to: range longer than ${MAX_RANGE_DAYS} days; expected a shorter range`);
  }
  const policy = await loadPolicyFile(options.policy, io, deps.readTextFile);
  const client = await deps.createClient();
  const { entitlements, rates } = await readFleet(client, policy);
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
export function createForecastRegistrar(deps: ForecastDeps = {}): (program: Command, io: CliIo) => void {
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
export const register: (program: Command, io: CliIo) => void = createForecastRegistrar();
