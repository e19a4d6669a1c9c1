import { describe, expect, it } from 'vitest';
import { planActions, type PlannerRecord } from '../../src/lib/rules';
import {
  MAX_ERROR_LENGTH,
  TELEMETRY_EVENTS,
  TELEMETRY_FIELDS,
  deliveryFailedLine,
  isReactivation,
  telemetryLine,
} from '../../src/lib/telemetry';
import {
  poisonMessageTelemetry,
  poolTelemetry,
  runFailedTelemetry,
  runOutcome,
  runTelemetry,
} from '../../src/app/telemetry';
import type { ActionResult, RunSummary } from '../../src/app/reconcile/run-summary';
import { ent, policyOf } from '../lib/rules/planner-helpers';

const AT = '2026-10-26T06:05:00.000Z';
const parse = (line: string): Record<string, unknown> => JSON.parse(line) as Record<string, unknown>;

function action(overrides: Partial<ActionResult>): ActionResult {
  return {
    serialNumber: 'FGVM01',
    action: 'stop',
    rule: 'branches',
    reason: 'off-hours: stop',
    outcome: 'succeeded',
    ptDaysSaved: 1,
    pointsSaved: 6.5,
    configId: 2198,
    savedPtDays: ['2026-10-24'],
    ...overrides,
  };
}

function summary(overrides: Partial<RunSummary> = {}): RunSummary {
  return {
    runId: 'run-1',
    at: AT,
    dryRun: false,
    planned: 0,
    applied: 0,
    failed: 0,
    skipped: 0,
    ptDaysSaved: 0,
    pointsSaved: 0,
    actions: [],
    errors: [],
    ...overrides,
  };
}

describe('telemetryLine', () => {
  it('writes the event name first, the version, then the declared fields in order, leaving out undefined ones', () => {
    const line = telemetryLine(TELEMETRY_EVENTS.actionFailed, {
      runId: 'r',
      at: AT,
      source: 'reconcile',
      action: 'stop',
      serialNumber: 'FGVM01',
      rule: undefined,
      reactivation: false,
      error: 'Unable to stop.',
    });
    expect(Object.keys(parse(line))).toEqual([
      'event',
      'v',
      'runId',
      'at',
      'source',
      'action',
      'serialNumber',
      'reactivation',
      'error',
    ]);
    expect(line.startsWith('{"event":"ScalerActionFailed","v":1,')).toBe(true);
    expect(line).not.toContain('\n');
  });

  it('redacts credentials in free text and bounds an error to one line', () => {
    const error = new Error(
      `login failed: password=hunter2-secret Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.abc\n${'x'.repeat(400)}`,
    );
    const line = runFailedTelemetry({ at: AT, trigger: 'timer', error }).line;
    const fields = parse(line);
    expect(line).not.toContain('hunter2');
    expect(line).not.toContain('eyJhbGciOiJIUzI1NiJ9');
    expect(String(fields['error'])).toContain('[redacted]');
    expect(String(fields['error']).length).toBeLessThanOrEqual(MAX_ERROR_LENGTH);
    expect(String(fields['error'])).not.toContain('\n');
  });

  it('declares every field an event line can carry, and no event carries an undeclared one', () => {
    const lines = [
      ...runTelemetry(
        summary({
          dryRun: false,
          actions: [
            action({ targetConfigId: 2199, action: 'switchConfig' }),
            action({ outcome: 'failed', error: 'nope', serialNumber: 'FGVM02' }),
          ],
          skippedReason: undefined,
          pools: {
            claims: [
              {
                pool: 'vmss',
                released: [
                  {
                    instanceId: 'vm-1',
                    serialNumber: 'FGVM01',
                    reason: 'instance no longer in the scale set',
                  },
                ],
              },
            ],
            pools: [
              {
                pool: 'vmss',
                before: 2,
                target: 2,
                after: 2,
                bounds: { min: 1, max: 4 },
                applied: [{ kind: 'create', count: 1 }],
                failed: [{ step: { kind: 'moveRelease', from: 'FGVM09', to: 'FGVM08' }, error: 'x' }],
                created: ['FGVM10'],
              },
              { pool: 'broken', error: 'pool broken: listing failed' },
            ],
          },
        }),
        'timer',
      ).map((r) => r.line),
      runFailedTelemetry({ at: AT, trigger: 'timer', error: new Error('x') }).line,
      poisonMessageTelemetry({ runId: 'q', at: AT, pool: 'vmss', error: 'lease busy' }).line,
      deliveryFailedLine({
        at: AT,
        pool: 'vmss',
        instanceId: 'vmss_3',
        serialNumber: 'FGVM03',
        stage: 'confirm',
        attempt: 4,
        elapsedMinutes: 31,
        error: 'FortiGate did not answer',
        runId: 'd',
      }),
    ];
    const seen = new Set<string>();
    for (const line of lines) {
      const { event, v, ...fields } = parse(line);
      expect(v).toBe(1);
      const declared = TELEMETRY_FIELDS[event as keyof typeof TELEMETRY_FIELDS];
      expect(declared, String(event)).toBeDefined();
      for (const name of Object.keys(fields)) expect(declared as readonly string[]).toContain(name);
      seen.add(String(event));
    }
    expect([...seen].sort()).toEqual(Object.values(TELEMETRY_EVENTS).sort());
  });
});

describe('runTelemetry', () => {
  it('reports the run, each applied action with its saved Pacific days, and each failed action', () => {
    const records = runTelemetry(
      summary({
        planned: 3,
        applied: 1,
        failed: 1,
        skipped: 1,
        ptDaysSaved: 1,
        pointsSaved: 6.5,
        actions: [
          action({}),
          action({ serialNumber: 'FGVM02', outcome: 'failed', error: 'Unable to stop.' }),
          action({ serialNumber: 'FGVM03', outcome: 'skipped' }),
        ],
        errors: [{ stage: 'apply', serialNumber: 'FGVM02', message: 'Unable to stop.' }],
      }),
      'timer',
    );
    expect(records.map((r) => r.event)).toEqual([
      'ScalerRunSummary',
      'ScalerActionApplied',
      'ScalerActionFailed',
    ]);
    const [run, applied, failed] = records.map((r) => parse(r.line));
    // A failed action is not a run-level error: the run completed, and the failure has its own event.
    expect(run).toMatchObject({ outcome: 'completed', errors: 0, failed: 1, planned: 3, trigger: 'timer' });
    expect(applied).toMatchObject({
      serialNumber: 'FGVM01',
      action: 'stop',
      rule: 'branches',
      dryRun: false,
      savedPtDays: ['2026-10-24'],
      pointsSaved: 6.5,
      reactivation: false,
    });
    expect(failed).toMatchObject({ serialNumber: 'FGVM02', source: 'reconcile', error: 'Unable to stop.' });
  });

  it('marks dry-run actions and counts reactivations that did not happen in business hours', () => {
    const records = runTelemetry(
      summary({
        actions: [
          action({ action: 'reactivate', outcome: 'failed', error: 'x', ptDaysSaved: 0, savedPtDays: [] }),
          action({ action: 'reactivate', outcome: 'skipped', serialNumber: 'B' }),
          action({
            action: 'switchConfig',
            reason: 'business hours: switch back from off-hours config 2199 to 2198',
            outcome: 'skipped',
            serialNumber: 'C',
          }),
          action({ action: 'reactivate', outcome: 'succeeded', serialNumber: 'D' }),
          action({ action: 'stop', outcome: 'skipped', serialNumber: 'E' }),
        ],
      }),
      'timer',
    );
    expect(parse(records[0]!.line)['reactivationsPending']).toBe(3);
    const dry = runTelemetry(summary({ dryRun: true, actions: [action({ outcome: 'dryRun' })] }), 'timer');
    expect(parse(dry[1]!.line)).toMatchObject({ event: 'ScalerActionApplied', dryRun: true });
    expect(parse(dry[0]!.line)).toMatchObject({ dryRun: true, reactivationsPending: 0 });
  });

  it('classifies runs: completed, degraded by a run-level error, skipped', () => {
    expect(runOutcome(summary())).toBe('completed');
    expect(runOutcome(summary({ errors: [{ stage: 'apply', message: 'x' }] }))).toBe('completed');
    expect(runOutcome(summary({ errors: [{ stage: 'list', message: 'FortiFlex unreachable' }] }))).toBe(
      'degraded',
    );
    expect(runOutcome(summary({ skippedReason: 'another run holds the lease' }))).toBe('skipped');
    const failed = parse(
      runFailedTelemetry({ at: AT, trigger: 'timer', error: new Error('no policy') }).line,
    );
    expect(failed).toMatchObject({ event: 'ScalerRunSummary', outcome: 'failed', error: 'no policy' });
  });

  it('reports each pool the sweep settled, with the claims it released and its failed steps', () => {
    const records = runTelemetry(
      summary({
        pools: {
          claims: [
            {
              pool: 'vmss',
              released: [
                { instanceId: 'vm-1', serialNumber: 'FGVM01', reason: 'instance no longer in the scale set' },
                { instanceId: 'vm-2', serialNumber: 'FGVM02', reason: 'instance no longer in the scale set' },
              ],
            },
          ],
          pools: [
            {
              pool: 'vmss',
              before: 3,
              target: 3,
              after: 2,
              bounds: { min: 2, max: 5 },
              applied: [{ kind: 'stop', serialNumber: 'S1' }],
              failed: [{ step: { kind: 'reactivate', serialNumber: 'S2' }, error: 'rate limited' }],
              created: [],
            },
          ],
        },
      }),
      'timer',
    );
    expect(records.map((r) => r.event)).toEqual([
      'ScalerRunSummary',
      'ScalerPoolState',
      'ScalerActionFailed',
    ]);
    expect(parse(records[1]!.line)).toMatchObject({
      source: 'sweep',
      pool: 'vmss',
      size: 2,
      target: 3,
      min: 2,
      max: 5,
      stepsApplied: 1,
      stepsFailed: 1,
      claimsReleased: 2,
    });
    expect(parse(records[2]!.line)).toMatchObject({
      source: 'pool',
      action: 'reactivate',
      serialNumber: 'S2',
      pool: 'vmss',
    });
  });

  it('reports the worker settling a pool', () => {
    const [state] = poolTelemetry(
      {
        pool: 'p',
        before: 1,
        target: 1,
        after: 1,
        bounds: { min: 0, max: 2 },
        applied: [],
        failed: [],
        created: ['X'],
      },
      { runId: 'inv', at: AT, source: 'worker' },
    );
    expect(parse(state!.line)).toMatchObject({ source: 'worker', created: 1, claimsReleased: 0 });
  });
});

describe('isReactivation follows the planner', () => {
  const at = (local: string) => new Date(`${local}+02:00`);

  it('recognises the planner’s reactivation and switch back, not the off-hours switch', () => {
    const policy = policyOf([{ name: 'branch', offHours: { switchConfig: 11 } }]);
    const friday = planActions({
      policy,
      entitlements: [ent('A')],
      records: [],
      now: at('2026-05-08T19:05:00'),
    });
    expect(friday.actions).toHaveLength(1);
    expect(isReactivation(friday.actions[0]!)).toBe(false);
    const records: PlannerRecord[] = [
      {
        serialNumber: 'A',
        stoppedByScaler: false,
        lastAction: 'switchConfig',
        lastActionAt: '2026-05-08T17:05:00Z',
        originalConfigId: 10,
      },
    ];
    const monday = planActions({
      policy,
      entitlements: [ent('A', 'ACTIVE', 11)],
      records,
      now: at('2026-05-11T07:05:00'),
    });
    expect(monday.actions[0]).toMatchObject({ restore: true });
    expect(isReactivation(monday.actions[0]!)).toBe(true);

    const stopPolicy = policyOf([{ name: 'branch' }]);
    const stopped: PlannerRecord[] = [
      { serialNumber: 'B', stoppedByScaler: true, lastAction: 'stop', lastActionAt: '2026-05-08T17:05:00Z' },
    ];
    const back = planActions({
      policy: stopPolicy,
      entitlements: [ent('B', 'STOPPED')],
      records: stopped,
      now: at('2026-05-11T07:05:00'),
    });
    expect(back.actions[0]).toMatchObject({ action: 'reactivate' });
    expect(isReactivation(back.actions[0]!)).toBe(true);
  });
});
