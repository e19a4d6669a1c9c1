/**
 * `fortiflex-scaler demo [--json] [--days N]`: the main job end to end on a laptop, with no Azure and no
 * FortiFlex account. Starts the FortiFlex simulator with its default world and an in-memory Azurite, loads
 * the example policy, then runs the real reconcile once per simulated hour across a week in which
 * Europe/Berlin leaves summer time (Sunday 2026-10-25), and prints what happened hour by hour, a state line
 * per Pacific billing day, and what the simulator's own billing ledger charged compared with the same world
 * left running.
 *
 * The "left running" baseline is measured, not computed: a second simulator starts from the same seed with
 * every entitlement that was in service during the week (ACTIVE at some point) ACTIVE, nothing is applied to
 * it, and its ledger is read for the same Pacific days.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { appRoot, createAppDependencies } from '../../app/dependencies';
import { runReconcile } from '../../app/reconcile/reconcile';
import type { RunSummary } from '../../app/reconcile/run-summary';
import { FortiFlexClient } from '../../lib/fortiflex';
import { parsePolicy, ptDay, ptDayStart, roundPoints, runsAfter, type Policy } from '../../lib/rules';
import { createStateStore } from '../../lib/state';
import { defaultSeed, startSimulator, type SimulatorHandle, type SimulatorSeed } from '../../simulator';
import { printJson, UsageError, type CliIo } from '../io';
import { parseIntegerOption } from '../options';

/** Thursday 2026-10-22 00:00 Pacific: the week covers Berlin's switch from CEST to CET on Sunday 10-25. */
export const DEMO_START = '2026-10-22T07:00:00.000Z';
const HOUR_MS = 3_600_000;
/**
 * The demo's own reconcile cadence, hourly on the hour (UTC), in `SCALER_SCHEDULE` form: the runs are taken
 * from it and the planner is told it, so a `lastSafeMoment` stop is never deferred to a run that is not coming.
 */
export const DEMO_SCHEDULE = '0 0 * * * *';
const POLICY_FILE = 'scaler.policy.example.yaml';

/** One row of the hour-by-hour table: one kind of thing that happened to one rule's entitlements. */
export interface DemoEvent {
  at: string;
  rule: string;
  /** `stop`, `reactivate`, `switchConfig`, or `hold` (left alone on purpose, with the planner's reason). */
  what: string;
  outcome: string;
  count: number;
  ptDaysSaved: number;
  /** Planner estimate at the policy's rates. */
  pointsSaved: number;
  detail: string;
}

/** State of the world at the start of one Pacific day. */
export interface DemoDay {
  ptDay: string;
  statuses: Record<string, number>;
  /** Points the ledger charged for the previous Pacific day. */
  chargedPreviousDay?: number;
}

/** Everything the demo measured. */
export interface DemoResult {
  from: string;
  to: string;
  policy: string;
  /** Time zone of each rule's schedule, and of each pool's first scheduled capacity (as `pool <name>`). */
  zones: Record<string, string>;
  runs: number;
  events: DemoEvent[];
  days: DemoDay[];
  applied: number;
  failed: number;
  apiCalls: Record<string, number>;
  ledger: {
    ptDays: string[];
    withScaler: number;
    leftRunning: number;
    pointsSaved: number;
    /** Entitlement-days that cost nothing with the scaler but were charged when left running. */
    ptDaysSaved: number;
    /** Entitlement-days charged with the scaler, but less than left running (a smaller off-hours config). */
    ptDaysCheaper: number;
    baseline: string;
  };
  /**
   * Sum of the planner's per-action estimates (at the policy's rates) over the Pacific days the ledger
   * compares; with truthful claims it equals `ledger.pointsSaved` when the policy's rates are the
   * simulator's.
   */
  plannerEstimate: { ptDaysSaved: number; pointsSaved: number };
}

interface DemoOptions {
  json?: boolean;
  days?: string;
}

function simClient(sim: SimulatorHandle): FortiFlexClient {
  return new FortiFlexClient({
    apiUrl: sim.apiUrl,
    authUrl: sim.authUrl,
    credentials: { get: () => Promise.resolve(sim.credentials) },
    // The simulated hours pass in milliseconds: the production request budget would only slow the demo.
    rateLimit: { perMinute: Infinity, perHour: Infinity },
    now: () => sim.clock.now().getTime(),
  });
}

function countStatuses(sim: SimulatorHandle): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const e of sim.entitlements()) counts[e.status] = (counts[e.status] ?? 0) + 1;
  return counts;
}

/** A hold reason without its dates and times, so the same kind of hold is shown once per rule. */
function holdKind(rule: string, reason: string): string {
  return `${rule}|${reason.replace(/\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun)\b|\d{4}-\d{2}-\d{2}|\d{2}:\d{2}/g, '')}`;
}

/** Groups a run's actions, and holds of a kind not shown before, into table rows. */
function eventsOf(summary: RunSummary, shownHolds: Set<string>): DemoEvent[] {
  const groups = new Map<string, DemoEvent>();
  for (const a of summary.actions) {
    const what = a.action === 'switchConfig' ? `switch → ${a.targetConfigId}` : a.action;
    const key = `${a.rule}|${what}|${a.outcome}`;
    const days = a.savedPtDays ?? [];
    const event = groups.get(key) ?? {
      at: summary.at,
      rule: a.rule,
      what,
      outcome: a.outcome,
      count: 0,
      ptDaysSaved: 0,
      pointsSaved: 0,
      detail: days.length > 0 ? `saves ${days.join(', ')}` : (a.error ?? ''),
    };
    event.count += 1;
    event.ptDaysSaved += a.ptDaysSaved;
    event.pointsSaved = roundPoints(event.pointsSaved + a.pointsSaved);
    groups.set(key, event);
  }
  const newKinds = new Set<string>();
  for (const s of summary.skippedEntitlements ?? []) {
    const kind = holdKind(s.rule, s.reason);
    if (shownHolds.has(kind)) continue;
    newKinds.add(kind);
    const key = `${s.rule}|${s.reason}`;
    const event = groups.get(key) ?? {
      at: summary.at,
      rule: s.rule,
      what: 'hold',
      outcome: 'kept',
      count: 0,
      ptDaysSaved: 0,
      pointsSaved: 0,
      detail: s.reason,
    };
    event.count += 1;
    groups.set(key, event);
  }
  for (const kind of newKinds) shownHolds.add(kind);
  // Pool sweep at the end of the run: bounds of the schedule in force, deferred scale-in stops.
  for (const pool of summary.pools?.pools ?? []) {
    if ('error' in pool) continue;
    const steps = new Map<string, number>();
    for (const step of pool.applied) {
      const count = step.kind === 'create' ? step.count : 1;
      steps.set(step.kind, (steps.get(step.kind) ?? 0) + count);
    }
    for (const [kind, count] of steps) {
      groups.set(`pool|${pool.pool}|${kind}`, {
        at: summary.at,
        rule: `pool ${pool.pool}`,
        what: kind,
        outcome: 'succeeded',
        count,
        ptDaysSaved: 0,
        pointsSaved: 0,
        detail: `pool size ${pool.before} → ${pool.after} (bounds ${pool.bounds.min}..${pool.bounds.max})`,
      });
    }
  }
  return [...groups.values()];
}

/** Folder of each seeded entitlement: FortiFlex never reports folders, the seed knows them. */
function foldersOf(seed: SimulatorSeed): Record<string, string> {
  return Object.fromEntries(
    seed.entitlements.flatMap((e) => (e.folderPath ? [[e.serialNumber, e.folderPath] as const] : [])),
  );
}

/** The zone each table row's local time is shown in: a rule's schedule, a pool's first scheduled capacity. */
function zonesOf(policy: Policy): Record<string, string> {
  const zones: Record<string, string> = {};
  for (const rule of policy.rules) zones[rule.name] = policy.schedules[rule.schedule]?.timezone ?? 'UTC';
  for (const pool of policy.pools) {
    const scheduled = pool.capacity.find((c) => c.schedule !== undefined)?.schedule;
    zones[`pool ${pool.name}`] = (scheduled && policy.schedules[scheduled]?.timezone) || 'UTC';
  }
  return zones;
}

/** Runs the demo week and measures it. `log` receives progress lines (not used for `--json`). */
export async function runDemo(options: { days: number; policyFile?: string }): Promise<DemoResult> {
  type AzuriteModule = typeof import('../../dev/azurite');
  let azuriteModule: AzuriteModule;
  try {
    azuriteModule = await import('../../dev/azurite.js');
  } catch {
    throw new Error('demo: Azurite is not available (dev dependency "azurite"); run `npm ci` first');
  }
  const policyFile = options.policyFile ?? path.join(appRoot(), POLICY_FILE);
  let policy: Policy;
  try {
    policy = parsePolicy(await readFile(policyFile, 'utf8'), path.basename(policyFile));
  } catch (error) {
    throw new UsageError(`demo: cannot use ${policyFile}: ${(error as Error).message.split('\n')[0]}`);
  }

  const from = new Date(DEMO_START);
  const to = new Date(from.getTime() + options.days * 24 * HOUR_MS);
  const seed: SimulatorSeed = { ...defaultSeed(), now: from.toISOString() };
  const folders = foldersOf(seed);

  let azurite: Awaited<ReturnType<AzuriteModule['startAzurite']>>;
  try {
    azurite = await azuriteModule.startAzurite();
  } catch (error) {
    throw new Error(`demo: Azurite did not start: ${(error as Error).message.split('\n')[0]}`);
  }
  const sim = await startSimulator({ seed });
  let baselineSim: SimulatorHandle | undefined;
  try {
    const store = await createStateStore(
      { kind: 'connectionString', connectionString: azurite.connectionString },
      { prefix: `demo${randomBytes(4).toString('hex')}`, now: () => sim.clock.now() },
    );
    const deps = await createAppDependencies({
      settings: {},
      client: simClient(sim),
      store,
      policy,
      now: () => sim.clock.now(),
    });

    const events: DemoEvent[] = [];
    const days: DemoDay[] = [];
    const inService = new Set(
      sim
        .entitlements()
        .filter((e) => e.status === 'ACTIVE')
        .map((e) => e.serialNumber),
    );
    const shownHolds = new Set<string>();
    let runs = 0;
    let applied = 0;
    let failed = 0;
    const claims: { days: string[]; pointsPerDay: number }[] = [];
    const runTimes = [from, ...runsAfter(DEMO_SCHEDULE, from, options.days * 24)].filter(
      (t) => t.getTime() < to.getTime(),
    );
    for (const now of runTimes) {
      const at = now.getTime();
      sim.clock.set(now);
      if (ptDayStart(ptDay(now)).getTime() === at) {
        const previous = ptDay(new Date(at - 1));
        days.push({
          ptDay: ptDay(now),
          statuses: countStatuses(sim),
          ...(at > from.getTime() && {
            chargedPreviousDay: sim.pointsCharged({ from: previous, to: previous }),
          }),
        });
      }
      const summary = await runReconcile(deps, now, { actor: 'demo', folders, schedule: DEMO_SCHEDULE });
      runs += 1;
      applied += summary.applied;
      failed += summary.failed;
      for (const a of summary.actions) {
        if (a.outcome !== 'succeeded' || a.ptDaysSaved === 0) continue;
        claims.push({ days: a.savedPtDays ?? [], pointsPerDay: a.pointsSaved / a.ptDaysSaved });
      }
      events.push(...eventsOf(summary, shownHolds));
      for (const e of sim.entitlements()) if (e.status === 'ACTIVE') inService.add(e.serialNumber);
    }
    sim.clock.set(to);

    // Only Pacific days wholly inside the simulated range are compared.
    const ptDays: string[] = [];
    for (let day = ptDay(from); ptDayStart(day).getTime() < to.getTime();) {
      const next = ptDay(new Date(ptDayStart(day).getTime() + 26 * HOUR_MS));
      if (ptDayStart(day).getTime() >= from.getTime() && ptDayStart(next).getTime() <= to.getTime())
        ptDays.push(day);
      day = next;
    }
    const range = { from: ptDays[0]!, to: ptDays[ptDays.length - 1]! };
    // The planner's claims on the days the ledger compares (a stop late in the range also claims days after it).
    const compared = new Set(ptDays);
    let estimateDays = 0;
    let estimatePoints = 0;
    for (const claim of claims) {
      const inRange = claim.days.filter((day) => compared.has(day)).length;
      estimateDays += inRange;
      estimatePoints += inRange * claim.pointsPerDay;
    }

    baselineSim = await startSimulator({
      seed: {
        ...seed,
        entitlements: seed.entitlements.map((e) =>
          inService.has(e.serialNumber) ? { ...e, status: 'ACTIVE' } : e,
        ),
      },
    });
    baselineSim.clock.set(to);
    let withScaler = 0;
    let leftRunning = 0;
    let ptDaysSaved = 0;
    let ptDaysCheaper = 0;
    for (const serialNumber of inService) {
      withScaler += sim.pointsCharged({ serialNumber, ...range });
      leftRunning += baselineSim.pointsCharged({ serialNumber, ...range });
      for (const day of ptDays) {
        const charged = sim.pointsCharged({ serialNumber, from: day, to: day });
        const baseline = baselineSim.pointsCharged({ serialNumber, from: day, to: day });
        if (baseline > 0 && charged === 0) ptDaysSaved += 1;
        else if (charged > 0 && charged < baseline) ptDaysCheaper += 1;
      }
    }
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      policy: path.basename(policyFile),
      zones: zonesOf(policy),
      runs,
      events,
      days,
      applied,
      failed,
      apiCalls: sim.stats().requests,
      ledger: {
        ptDays,
        withScaler: roundPoints(withScaler),
        leftRunning: roundPoints(leftRunning),
        pointsSaved: roundPoints(leftRunning - withScaler),
        ptDaysSaved,
        ptDaysCheaper,
        baseline:
          'second simulator, same seed, every entitlement in service during the week kept ACTIVE, nothing applied',
      },
      plannerEstimate: { ptDaysSaved: estimateDays, pointsSaved: roundPoints(estimatePoints) },
    };
  } finally {
    await Promise.all([sim.stop(), baselineSim?.stop(), azurite.stop()]);
  }
}

const WEEKDAY = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** `Fri 10-23 17:00Z`. */
function utcLabel(iso: string): string {
  const d = new Date(iso);
  return `${WEEKDAY[d.getUTCDay()]} ${iso.slice(5, 10)} ${iso.slice(11, 16)}Z`;
}

/** `Fri 19:00 CEST` in `zone` (US English names where they exist, else British, else GMT±h). */
function localLabel(iso: string, zone: string): string {
  const format = (locale: string): Intl.DateTimeFormatPart[] =>
    new Intl.DateTimeFormat(locale, {
      timeZone: zone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'short',
    }).formatToParts(new Date(iso));
  let parts = format('en-US');
  const get = (type: string): string => parts.find((p) => p.type === type)?.value ?? '';
  if (get('timeZoneName').startsWith('GMT')) parts = format('en-GB');
  return `${get('weekday')} ${get('hour')}:${get('minute')} ${get('timeZoneName')}`;
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** How a pool step reads in the table (the JSON keeps the step kinds). */
const POOL_STEP_LABELS: Record<string, string> = {
  markRelease: 'mark for release',
  moveRelease: 'move release',
  cancelRelease: 'keep (release cancelled)',
};

const COLUMNS = ['when (UTC)', 'local time', 'rule', 'what', 'n', 'PT days', 'points', 'detail'] as const;

/** The readable report: events by Pacific day with a state line per day, then the ledger comparison. */
export function formatDemo(result: DemoResult): string {
  const rows = result.events.map((event) => {
    const pool = event.rule.startsWith('pool ');
    const what = (pool && POOL_STEP_LABELS[event.what]) || event.what;
    return {
      day: ptDay(new Date(event.at)),
      cells: [
        utcLabel(event.at),
        result.zones[event.rule]
          ? localLabel(event.at, result.zones[event.rule]!)
          : localLabel(event.at, 'UTC'),
        event.rule,
        event.outcome === 'succeeded' || event.what === 'hold' ? what : `${what} ${event.outcome}`,
        String(event.count),
        event.what === 'hold' || pool ? '' : String(event.ptDaysSaved),
        event.what === 'hold' || pool ? '' : String(event.pointsSaved),
        clip(event.detail, 120),
      ],
    };
  });
  const widths = COLUMNS.map((title, i) => Math.max(title.length, ...rows.map((r) => r.cells[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (i === 4 || i === 5 || i === 6 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const out: string[] = [
    `FortiFlex scaler demo: ${result.runs} hourly reconcile runs, ${utcLabel(result.from)} → ${utcLabel(result.to)}`,
    `policy ${result.policy} · simulator default seed · Europe/Berlin leaves summer time Sun 2026-10-25 03:00 CEST → 02:00 CET`,
    '"hold" rows show, once per kind, entitlements the planner leaves alone on purpose; "points" are planner estimates at the policy rates.',
    '"mark for release" rows shrink a pool: PENDING spares are parked at no cost, ACTIVE ones are stopped just before the next Pacific midnight.',
    '',
    line(COLUMNS),
    line(widths.map((w) => '-'.repeat(w))),
  ];
  for (const day of result.days) {
    const states = Object.entries(day.statuses)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([status, n]) => `${status} ${n}`)
      .join(' · ');
    const charged =
      day.chargedPreviousDay === undefined
        ? ''
        : ` · ledger charged the previous PT day ${day.chargedPreviousDay} points`;
    out.push(`── Pacific day ${day.ptDay} starts: ${states}${charged}`);
    for (const row of rows) if (row.day === day.ptDay) out.push(line(row.cells));
  }
  const l = result.ledger;
  const pct = l.leftRunning > 0 ? ` (${((l.pointsSaved / l.leftRunning) * 100).toFixed(1)} %)` : '';
  out.push(
    '',
    `Simulator billing ledger, Pacific days ${l.ptDays[0]} … ${l.ptDays[l.ptDays.length - 1]} (${l.ptDays.length} days), entitlements in service:`,
    `  with the scaler   ${l.withScaler.toFixed(2)} points`,
    `  left running      ${l.leftRunning.toFixed(2)} points  (${l.baseline})`,
    `  saved             ${l.pointsSaved.toFixed(2)} points${pct}; ${l.ptDaysSaved} entitlement PT days not charged at all, ${l.ptDaysCheaper} charged at a smaller config`,
    `  planner estimate  ${result.plannerEstimate.pointsSaved} points over ${result.plannerEstimate.ptDaysSaved} entitlement PT days at the policy's rates (the simulator prices configs itself)`,
    `  ${result.applied} actions applied, ${result.failed} failed; API requests: ${Object.entries(
      result.apiCalls,
    )
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    '',
  );
  return out.join('\n');
}

/** Registers `demo`. */
export function register(program: Command, io: CliIo): void {
  program
    .command('demo')
    .description(
      'run the scaler for a simulated week against the built-in FortiFlex simulator and Azurite (no Azure, no FortiFlex account)',
    )
    .option('--days <n>', 'simulated days (1-31)', '7')
    .option('--json', 'print the measurements as JSON')
    .action(async (options: DemoOptions) => {
      const days = parseIntegerOption('--days', options.days ?? '7', { min: 1 });
      if (days > 31) throw new UsageError(`--days: "${options.days}" is too many; expected 1..31`);
      const result = await runDemo({ days });
      if (options.json) {
        printJson(io, result);
        return;
      }
      io.stdout(formatDemo(result));
    });
}
