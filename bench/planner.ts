/**
 * Planner benchmark: 10,000 entitlements under 20 rules (config ids, serial lists, description prefixes,
 * excludes; five zones). Measures a full `planActions` run (cold: schedules compiled in the run; warm:
 * compiled schedules reused as the reconcile loop does) against a linear-scan baseline measured in the same
 * run: every entitlement checked against every rule's selector (precompiled sets, no index) and the
 * schedule of each matching rule evaluated per entitlement. Target: a cold plan under 200 ms.
 */
import { performance } from 'node:perf_hooks';
import type { Entitlement } from '../src/lib/fortiflex/types';
import {
  compileSchedules,
  planActions,
  validatePolicy,
  type PlannerRecord,
  type Policy,
  type Rule,
  type SelectorKeys,
  ptDaysWhollyInside,
  ruleSelects,
} from '../src/lib/rules';
import { stateAt } from '../src/lib/rules/schedule-walk';

const ENTITLEMENTS = 10_000;
const RULES = 20;
const ZONES = [
  'Europe/Berlin',
  'America/New_York',
  'America/Los_Angeles',
  'Australia/Sydney',
  'Asia/Kolkata',
];

function buildPolicy(): Policy {
  const schedules: Record<string, unknown> = {};
  ZONES.forEach((zone, i) => {
    schedules[`office-${i}`] = {
      timezone: zone,
      active: [`Mon-Fri ${String(6 + i).padStart(2, '0')}:00-${17 + i}:00`],
      holidays: { dates: ['2026-12-24', '2026-12-31'] },
    };
  });
  const rules = Array.from({ length: RULES }, (_, i) => {
    const select: Record<string, unknown> =
      i % 4 === 0
        ? { descriptionPrefix: `site-${i}-` }
        : i % 4 === 1
          ? { serialNumbers: Array.from({ length: 50 }, (_, k) => serial(i * 500 + k)) }
          : { configIds: [1000 + i, 2000 + i] };
    if (i % 3 === 0) select['exclude'] = { serialNumbers: [serial(i * 500 + 7)] };
    return {
      name: `rule-${i}`,
      select,
      schedule: `office-${i % ZONES.length}`,
      offHours: i % 5 === 4 ? { switchConfig: 9000 } : 'stop',
      billing: {
        skipUnprofitableStops: i % 2 === 0,
        stopTiming: i % 6 === 5 ? 'lastSafeMoment' : 'windowStart',
      },
    };
  });
  return validatePolicy({
    fortiflex: { accountId: 1, programSerialNumber: 'ELAVMR0000000001' },
    mode: 'enforce',
    safety: { maxActionsPerRun: 500 },
    schedules,
    rules,
    rates: Object.fromEntries(Array.from({ length: RULES }, (_, i) => [1000 + i, 3 + (i % 4)])),
  });
}

function serial(n: number): string {
  return `FGVMMLTM${String(n).padStart(8, '0')}`;
}

function buildWorld(): { entitlements: Entitlement[]; records: PlannerRecord[] } {
  const statuses = ['ACTIVE', 'ACTIVE', 'ACTIVE', 'STOPPED', 'PENDING'];
  const entitlements: Entitlement[] = [];
  const records: PlannerRecord[] = [];
  for (let n = 0; n < ENTITLEMENTS; n++) {
    const rule = n % RULES;
    const status = statuses[n % statuses.length]!;
    entitlements.push({
      serialNumber: serial(n),
      description: `site-${rule}-${n}`,
      configId: (n % 2 === 0 ? 1000 : 2000) + rule,
      accountId: 1,
      startDate: '2026-01-01T00:00:00',
      endDate: '2027-01-01T00:00:00',
      status,
      token: '',
      tokenStatus: 'USED',
    });
    if (status === 'STOPPED' && n % 3 !== 0) records.push({ serialNumber: serial(n), stoppedByScaler: true });
  }
  return { entitlements, records };
}

interface CompiledKeys {
  configIds: Set<number>;
  serials: Set<string>;
  prefix?: string;
}

function compileKeys(keys: SelectorKeys | undefined): CompiledKeys {
  return {
    configIds: new Set(keys?.configIds ?? []),
    serials: new Set(keys?.serialNumbers ?? []),
    prefix: keys?.descriptionPrefix,
  };
}

function keysMatch(keys: CompiledKeys, e: Entitlement): boolean {
  return (
    keys.configIds.has(e.configId) ||
    keys.serials.has(e.serialNumber) ||
    (keys.prefix !== undefined && e.description.startsWith(keys.prefix))
  );
}

/** The linear scan: each entitlement × each rule, selector check, schedule evaluated per match. */
function linearScan(policy: Policy, entitlements: Entitlement[], now: Date): number {
  const schedules = compileSchedules(policy);
  const compiled = policy.rules.map((rule: Rule) => ({
    include: compileKeys(rule.select),
    exclude: compileKeys(rule.select.exclude),
    schedule: schedules.get(rule.schedule)!,
  }));
  let wantedActive = 0;
  for (const e of entitlements) {
    let active = false;
    for (const rule of compiled) {
      if (keysMatch(rule.include, e) && !keysMatch(rule.exclude, e)) {
        active = rule.schedule.isActive(now) || active;
      }
    }
    if (active) wantedActive++;
  }
  return wantedActive;
}

/**
 * A planner without the index and per-run caches: every rule's selector checked per entitlement with
 * {@link ruleSelects}, and every matching schedule's state, window and saved days evaluated per entitlement.
 */
function naivePlan(policy: Policy, entitlements: Entitlement[], now: Date): number {
  const schedules = compileSchedules(policy);
  let saved = 0;
  for (const e of entitlements) {
    const states = policy.rules
      .filter((rule) => ruleSelects(rule, e))
      .map((rule) => stateAt(schedules.get(rule.schedule)!, now, 9, 35));
    if (states.length === 0 || states.some((state) => state.active)) continue;
    const until = Math.min(...states.map((state) => state.until?.getTime() ?? Infinity));
    saved += ptDaysWhollyInside(
      now,
      new Date(Number.isFinite(until) ? until : now.getTime() + 35 * 86_400_000),
    ).length;
  }
  return saved;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function time(fn: () => unknown, runs: number): number {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn();
    samples.push(performance.now() - start);
  }
  return median(samples);
}

/** Runs the benchmark and prints its figures. */
export async function run(log: (line: string) => void): Promise<void> {
  const { entitlements, records } = buildWorld();
  // Friday evening in Berlin: a mix of stops, deferrals, skipped unprofitable stops and reactivations.
  const now = new Date('2026-05-08T17:05:00Z');
  // Warm the JIT on a separate policy object so the cold figure still compiles its own schedules.
  for (let i = 0; i < 3; i++) planActions({ policy: buildPolicy(), entitlements, records, now });
  const coldSamples: number[] = [];
  let plan = planActions({ policy: buildPolicy(), entitlements, records, now });
  for (let i = 0; i < 7; i++) {
    const policy = buildPolicy();
    const start = performance.now();
    plan = planActions({ policy, entitlements, records, now });
    coldSamples.push(performance.now() - start);
  }
  const cold = median(coldSamples);
  const policy = buildPolicy();
  const schedules = compileSchedules(policy);
  const warm = time(() => planActions({ policy, entitlements, records, now, schedules }), 9);
  const scan = time(() => linearScan(policy, entitlements, now), 9);
  // The uncached planner is slow: measure it on a tenth of the entitlements and scale up.
  const tenth = entitlements.slice(0, ENTITLEMENTS / 10);
  const naive = time(() => naivePlan(policy, tenth, now), 3) * 10;

  log(`entitlements ${ENTITLEMENTS}, rules ${RULES}, zones ${ZONES.length}`);
  log(
    `plan: ${plan.actions.length} actions (cap ${policy.safety.maxActionsPerRun}), ${plan.skipped.length} skipped, ${plan.unchanged} unchanged`,
  );
  log(
    `planActions cold (schedules compiled in the run): ${cold.toFixed(1)} ms (median of ${coldSamples.length})`,
  );
  log(`planActions warm (compiled schedules reused):    ${warm.toFixed(1)} ms (median of 9)`);
  log(`linear scan baseline (entitlement × rule):       ${scan.toFixed(1)} ms (median of 9)`);
  log(
    `ratio planActions warm / linear scan: ${(warm / scan).toFixed(2)}×; cold / linear scan: ${(cold / scan).toFixed(2)}×`,
  );
  log(
    `uncached per-entitlement planner (×10 of 1,000):  ${naive.toFixed(1)} ms; ratio to planActions warm: ${(naive / warm).toFixed(1)}×`,
  );
  log(`target < 200 ms cold: ${cold < 200 ? 'met' : 'MISSED'}`);
}
