/**
 * A status report for view tests and the dashboard benchmark, built from the real rule engine (policy,
 * forecast, timeline) with a chosen number of entitlements spread over three rules and a pool, some with last
 * actions, errors and paired VMs. `text` replaces every caller-supplied string (rule, pool and schedule
 * names, descriptions, errors) so escaping can be tested with hostile strings.
 */
import { timelineRange } from '../../src/app/reconcile/status';
import { forecast, ruleTimeline, validatePolicy } from '../../src/lib/rules';
import type { Entitlement } from '../../src/lib/fortiflex/types';
import type { EntitlementStatusRow, PoolStatus, StatusReport } from '../../src/lib/views/status-model';

/** Options of {@link sampleReport}. */
export interface SampleOptions {
  entitlements?: number;
  /** The instant of the report; default Friday 2026-10-23 18:00Z (20:00 Berlin, a weekend window begun). */
  at?: string;
  /** Text added to every caller-supplied string. */
  text?: string;
  /** Pair every third entitlement with a VM. */
  vms?: boolean;
}

const POWER = ['running', 'deallocated', 'stopped', 'starting', 'unknown'] as const;

/** Builds the report. */
export function sampleReport(options: SampleOptions = {}): StatusReport {
  const n = options.entitlements ?? 40;
  const at = options.at ?? '2026-10-23T18:00:00.000Z';
  const t = options.text ?? '';
  const now = new Date(at);
  const names = ['branches', 'labs', 'us-east'];
  const policy = validatePolicy({
    fortiflex: { accountId: 1, programSerialNumber: 'ELAVMR0000000519' },
    schedules: {
      office: {
        timezone: 'Europe/Berlin',
        active: ['Mon-Fri 07:00-19:00'],
        holidays: { dates: ['2026-10-26'] },
      },
      east: { timezone: 'America/New_York', active: ['Mon-Fri 07:30-20:30'] },
    },
    rules: [
      { name: names[0], select: { configIds: [2198] }, schedule: 'office' },
      { name: names[1], select: { configIds: [2199] }, schedule: 'office' },
      { name: names[2], select: { configIds: [2201] }, schedule: 'east' },
    ],
    pools: [
      {
        name: 'vmss',
        configId: 2200,
        capacity: [
          { schedule: 'office', min: 2, max: 8 },
          { min: 0, max: 4 },
        ],
      },
    ],
    rates: { 2198: 6.5, 2199: 3.25, 2200: 13, 2201: 4 },
  });
  const configs = [2198, 2199, 2201];
  const entitlements: Entitlement[] = Array.from({ length: n }, (_, i) => ({
    serialNumber: `FGVM${String(i).padStart(8, '0')}`,
    description: `branch ${i}${t}`,
    configId: configs[i % 3]!,
    accountId: 1,
    startDate: '2026-01-01T00:00:00',
    endDate: '2027-01-01T00:00:00',
    status: i % 7 === 0 ? 'ACTIVE' : i % 11 === 0 ? 'PENDING' : 'STOPPED',
    token: `SECRETTOKEN${i}`,
    tokenStatus: 'USED',
  }));
  const range = timelineRange(now);
  const week = forecast({ policy, entitlements, from: range.from, to: range.to });
  const month = forecast({ policy, entitlements, from: now, to: new Date(now.getTime() + 30 * 86_400_000) });
  const rules = policy.rules.map((rule, r) => {
    const rows: EntitlementStatusRow[] = entitlements
      .filter((e) => e.configId === configs[r])
      .map((e, i) => ({
        serialNumber: e.serialNumber,
        description: e.description,
        configId: e.configId,
        actual: e.status,
        desired: e.status === 'ACTIVE' && i % 5 === 0 ? 'STOPPED' : e.status,
        ...(e.status === 'ACTIVE' &&
          i % 5 === 0 && { pendingAction: 'stop' as const, reason: `weekend${t}` }),
        stoppedByScaler: e.status === 'STOPPED',
        ...(e.status === 'STOPPED' && {
          lastAction: 'stop',
          lastActionAt: new Date(now.getTime() - (i + 1) * 60_000).toISOString(),
          lastReason: `off-hours${t}`,
        }),
        ...(i % 13 === 0 && {
          lastError: `Unable to stop${t}`,
          lastErrorAt: new Date(now.getTime() - i * 90_000).toISOString(),
        }),
        ...(options.vms &&
          i % 3 === 0 && { vm: { name: `vm-${e.serialNumber}${t}`, powerState: POWER[i % POWER.length]! } }),
      }));
    const pending = rows.filter((row) => row.pendingAction).length;
    return {
      name: rule.name,
      schedule: rule.schedule,
      timezone: r === 2 ? 'America/New_York' : 'Europe/Berlin',
      activeNow: false,
      nextTransitions: [{ at: '2026-10-26T06:00:00.000Z', active: true }],
      entitlements: rows,
      counts: { selected: rows.length, inDesiredState: rows.length - pending, pending },
    };
  });
  const pool: PoolStatus = {
    name: `vmss${t}`,
    configId: 2200,
    size: 3,
    bounds: { min: 0, max: 4 },
    capacity: policy.pools[0]!.capacity,
    claimed: 2,
    inUseOutsideClaims: 1,
    active: 3,
    members: [
      {
        serialNumber: 'FGVMPOOL00000001',
        status: 'ACTIVE',
        role: 'held',
        instanceId: `vmss_0${t}`,
        claimedAt: '2026-10-20T08:00:00.000Z',
      },
      {
        serialNumber: 'FGVMPOOL00000002',
        status: 'ACTIVE',
        role: 'held',
        instanceId: 'vmss_1',
        claimedAt: '2026-10-21T08:00:00.000Z',
        claimExpiresAt: '2026-10-24T08:00:00.000Z',
      },
      { serialNumber: 'FGVMPOOL00000003', status: 'ACTIVE', role: 'inUseOutsideClaims' },
      {
        serialNumber: 'FGVMPOOL00000004',
        status: 'ACTIVE',
        role: 'releasing',
        lastAction: 'poolRelease',
        lastActionAt: '2026-10-23T16:00:00.000Z',
        releaseDueAt: '2026-10-24T06:00:00.000Z',
        lastError: `stop refused${t}`,
        lastErrorAt: '2026-10-23T17:00:00.000Z',
      },
      { serialNumber: 'FGVMPOOL00000005', status: 'STOPPED', role: 'reserve' },
    ],
    orphanClaims: [],
    pendingDeliveries: [
      {
        instanceId: `vmss_2${t}`,
        serialNumber: 'FGVMPOOL00000006',
        stage: 'token sent',
        since: '2026-10-23T17:40:00.000Z',
        attempts: 2,
        nextAttemptAt: '2026-10-23T18:05:00.000Z',
        overdue: false,
      },
    ],
  };
  const report: StatusReport = {
    at,
    mode: 'enforce',
    dryRun: false,
    rules,
    pools: [pool],
    thisMonth: { from: '2026-10-01T07:00:00.000Z', actions: 42, ptDaysSaved: 40, pointsSaved: 260 },
    forecast: {
      from: month.from,
      to: month.to,
      entitlementDaysSaved: month.totals.entitlementDaysSaved,
      pointsSaved: month.totals.pointsSaved,
      rules: month.rules.map((r) => ({
        rule: r.rule,
        entitlements: r.entitlements,
        ptDaysSaved: r.ptDaysSaved,
        pointsSaved: r.pointsSaved,
      })),
      advice: [
        {
          rule: names[0]!,
          kind: 'reactivateLater',
          weekday: 'Monday',
          current: '07:00',
          suggested: '09:00',
          timezone: 'Europe/Berlin',
          shiftHours: 2,
          extraPtDaysPerWeek: 1,
          extraPointsPerWeek: 6.5,
          occurrences: 4,
          message: `reactivate on Monday at 09:00 instead of 07:00${t}`,
        },
      ],
      notes: [`a note${t}`],
    },
    timeline: {
      from: range.from.toISOString(),
      to: range.to.toISOString(),
      rules: week.rules.map((r) => ruleTimeline(r, range.from, range.to)),
      pools: [
        {
          pool: `vmss${t}`,
          bounds: [
            {
              start: range.from.toISOString(),
              end: '2026-10-22T05:00:00.000Z',
              min: 2,
              max: 8,
              schedule: `office${t}`,
            },
            { start: '2026-10-22T05:00:00.000Z', end: range.to.toISOString(), min: 0, max: 4 },
          ],
          bands: [],
          markers: [
            { kind: 'releaseDue', at: '2026-10-24T06:00:00.000Z', label: `FGVMPOOL00000004: stop due${t}` },
            { kind: 'claimExpires', at: '2026-10-24T08:00:00.000Z', label: 'claim expires' },
            { kind: 'delivery', at: '2026-10-23T18:05:00.000Z', label: 'next delivery attempt' },
          ],
        },
      ],
    },
    notes: [],
    errors: [{ stage: 'list', message: `account 2 program X${t}: unavailable` }],
  };
  // The policy checks its names; the views must not rely on that, so the report's names carry `text` too.
  for (const rule of report.rules) {
    rule.name += t;
    rule.schedule += t;
  }
  for (const rule of report.timeline.rules) rule.rule += t;
  for (const rule of report.forecast.rules) rule.rule += t;
  for (const advice of report.forecast.advice) advice.rule += t;
  return report;
}
