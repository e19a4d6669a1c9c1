/**
 * Start and deallocate through the real SDK's long-running operations against the ARM simulator: call
 * counts (1 action + the polls Retry-After asks for + the SDK's final GET), power transitions on the
 * simulated clock, budgets that return `inProgress` instead of waiting, resuming, and every injected fault.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { PowerOperationResult } from '../../../src/lib/azure/compute';
import type { ArmSimulatorHandle } from '../../../src/simulator/arm';
import { adapterFor, operationsLogged, simulatedClock, startArm, vmIdOf } from '../../support/arm';

let arm: ArmSimulatorHandle | undefined;
afterEach(async () => {
  await arm?.stop();
  arm = undefined;
});

const T0 = '2026-03-02T16:00:00.000Z';
const at = (seconds: number): string => new Date(Date.parse(T0) + seconds * 1000).toISOString();
const BUDGET = { budgetMs: 10 * 60_000 };

function pendingOf(result: PowerOperationResult) {
  if (result.outcome !== 'inProgress') throw new Error(`expected inProgress, got ${result.outcome}`);
  return result;
}

describe('power operations', () => {
  it('deallocates: one action, the one poll Retry-After asks for, the final GET; transitions on the clock', async () => {
    arm = await startArm({ durations: { deallocate: 30_000 } });
    const clock = simulatedClock(arm);
    const result = await adapterFor(arm, { clock }).runPowerOperation(vmIdOf('fgt-a1'), 'deallocate', BUDGET);
    expect(result).toEqual({ outcome: 'succeeded' });
    expect(operationsLogged(arm)).toEqual(['vm.deallocate', 'operation.status', 'operation.result']);
    // The adapter waited exactly what the 202's Retry-After said, instead of polling at once.
    expect(clock.waits).toEqual([30_000]);
    expect(arm.requests().map((r) => r.at)).toEqual([at(0), at(30), at(30)]);
    expect(arm.machine('fgt-a1').transitions).toEqual([
      { at: T0, state: 'running' },
      { at: T0, state: 'deallocating' },
      { at: at(30), state: 'deallocated' },
    ]);
    arm.clock.advance(3600_000);
    // Billed: nothing since deallocation began (deallocating is not billed).
    expect(arm.billedHours('fgt-a1')).toBe(0);
  });

  it('starts a deallocated VM; starting counts as billed time', async () => {
    arm = await startArm({ durations: { start: 90_000 } });
    const compute = adapterFor(arm, { clock: simulatedClock(arm) });
    expect(await compute.runPowerOperation(vmIdOf('fgt-a2'), 'start', BUDGET)).toEqual({
      outcome: 'succeeded',
    });
    expect(arm.machine('fgt-a2').powerState).toBe('running');
    arm.clock.advance(30 * 60_000 - 90_000);
    expect(arm.billedHours('fgt-a2')).toBeCloseTo(0.5, 10);
  });

  it('follows Retry-After on every poll and falls back to the default interval without one', async () => {
    arm = await startArm({ durations: { start: 45_000 }, retryAfter: 'none' });
    const clock = simulatedClock(arm);
    const compute = adapterFor(arm, { clock, defaultPollIntervalMs: 10_000 });
    expect(await compute.runPowerOperation(vmIdOf('fgt-b2', 'rg-b'), 'start', BUDGET)).toEqual({
      outcome: 'succeeded',
    });
    // No Retry-After: first poll at once (as the SDK does), then every 10 s until done at 45 s.
    expect(clock.waits).toEqual([10_000, 10_000, 10_000, 10_000, 10_000]);
    expect(operationsLogged(arm)).toEqual([
      'vm.start',
      ...Array(6).fill('operation.status'),
      'operation.result',
    ]);
  });

  it('returns inProgress without waiting when the operation outlasts the budget, then resumes', async () => {
    arm = await startArm({ durations: { start: 120_000 } });
    const clock = simulatedClock(arm);
    const compute = adapterFor(arm, { clock });
    const first = pendingOf(await compute.runPowerOperation(vmIdOf('fgt-a2'), 'start', { budgetMs: 60_000 }));
    expect(clock.waits).toEqual([]);
    expect(operationsLogged(arm)).toEqual(['vm.start']);
    expect(arm.machine('fgt-a2')).toMatchObject({ powerState: 'starting', pendingOperation: 'start' });
    expect(first.operation).toMatchObject({
      vmId: vmIdOf('fgt-a2'),
      action: 'start',
      startedAt: T0,
      nextPollAt: at(120),
    });
    // The record is plain JSON without secrets: it survives storage.
    const stored = JSON.parse(JSON.stringify(first.operation));
    expect(JSON.stringify(stored)).not.toContain(arm.token);

    // Resumed too early with a small budget: no call at all.
    arm.clock.advance(30_000);
    const early = pendingOf(await compute.resumePowerOperation(stored, { budgetMs: 1_000 }));
    expect(early.operation.nextPollAt).toBe(at(120));
    expect(operationsLogged(arm)).toEqual(['vm.start']);

    // A later run: the operation has ended; one poll and the final GET.
    arm.clock.advance(120_000);
    expect(await compute.resumePowerOperation(stored, { budgetMs: 1_000 })).toEqual({ outcome: 'succeeded' });
    expect(operationsLogged(arm)).toEqual(['vm.start', 'operation.status', 'operation.result']);
    expect(arm.machine('fgt-a2').powerState).toBe('running');
  });

  it('never waits on the wall clock past the budget either', async () => {
    // Simulated operation time does not pass by itself: waiting for it would hang the test.
    arm = await startArm({ durations: { deallocate: 20 * 60_000 } });
    const result = pendingOf(
      await adapterFor(arm).runPowerOperation(vmIdOf('fgt-b1', 'rg-b'), 'deallocate', { budgetMs: 500 }),
    );
    expect(operationsLogged(arm)).toEqual(['vm.deallocate']);
    expect(
      Date.parse(result.operation.nextPollAt) - Date.parse(result.operation.startedAt),
    ).toBeGreaterThanOrEqual(20 * 60_000 - 1_000);
  });

  it('reports AllocationFailed as a failed start and leaves the VM deallocated', async () => {
    arm = await startArm({ durations: { start: 30_000 } });
    arm.faults.add({ operation: 'vm.start', target: 'fgt-a2', fault: { kind: 'allocationFailed' } });
    const result = await adapterFor(arm, { clock: simulatedClock(arm) }).runPowerOperation(
      vmIdOf('fgt-a2'),
      'start',
      BUDGET,
    );
    expect(result.outcome).toBe('failed');
    if (result.outcome !== 'failed') return;
    expect(result.error).toMatchObject({ code: 'allocationFailed', azureCode: 'AllocationFailed' });
    expect(result.error.message).toMatch(
      /^start of rg-a\/fgt-a2: operation failed \(AllocationFailed\): Allocation failed\./,
    );
    expect(operationsLogged(arm)).toEqual(['vm.start', 'operation.status']);
    expect(arm.machine('fgt-a2').transitions.map((t) => t.state)).toEqual([
      'deallocated',
      'starting',
      'deallocated',
    ]);
  });

  it.each([
    [{ kind: 'conflict' }, 'conflict', 409, undefined],
    [{ kind: 'throttle', retryAfterSeconds: 1200 }, 'throttled', 429, 1200],
    [{ kind: 'serverError' }, 'unavailable', 500, undefined],
    [{ kind: 'http', status: 403, code: 'AuthorizationFailed' }, 'forbidden', 403, undefined],
    [{ kind: 'http', status: 404, code: 'ResourceNotFound' }, 'notFound', 404, undefined],
  ] as const)(
    'maps %j on the action to %s after exactly one call',
    async (fault, code, status, retryAfter) => {
      arm = await startArm();
      arm.faults.add({ operation: 'vm.deallocate', fault });
      const result = await adapterFor(arm, { clock: simulatedClock(arm) }).runPowerOperation(
        vmIdOf('fgt-a1'),
        'deallocate',
        BUDGET,
      );
      expect(result.outcome).toBe('failed');
      if (result.outcome !== 'failed') return;
      expect(result.error).toMatchObject({ code, statusCode: status });
      expect(result.error.retryAfterSeconds).toBe(retryAfter);
      expect(result.error.message).toMatch(new RegExp(`^deallocate of rg-a/fgt-a1: HTTP ${status}`));
      // No pipeline retry, no sleeping on a 20-minute Retry-After; nothing changed.
      expect(operationsLogged(arm)).toEqual(['vm.deallocate']);
      expect(arm.machine('fgt-a1').powerState).toBe('running');
    },
  );

  it('gets a real 409 for a second operation while the first is in progress', async () => {
    arm = await startArm({ durations: { start: 120_000 } });
    const compute = adapterFor(arm, { clock: simulatedClock(arm) });
    pendingOf(await compute.runPowerOperation(vmIdOf('fgt-a2'), 'start', { budgetMs: 1_000 }));
    const second = await compute.runPowerOperation(vmIdOf('fgt-a2'), 'deallocate', { budgetMs: 1_000 });
    expect(second.outcome === 'failed' && second.error.code).toBe('conflict');
    expect(second.outcome === 'failed' && second.error.azureCode).toBe('OperationNotAllowed');
  });

  it('fails with timeout when the action hangs past the budget, and keeps the VM untouched', async () => {
    arm = await startArm();
    arm.faults.add({ operation: 'vm.start', fault: { kind: 'hang' } });
    const result = await adapterFor(arm).runPowerOperation(vmIdOf('fgt-a2'), 'start', { budgetMs: 300 });
    expect(result.outcome === 'failed' && result.error.code).toBe('timeout');
    expect(result.outcome === 'failed' && result.error.message).toMatch(
      /no answer within the budget; .*re-read the power state/,
    );
    expect(arm.machine('fgt-a2').powerState).toBe('deallocated');
  });

  it('returns inProgress with the poll error when a status poll hangs or is throttled, and resumes later', async () => {
    // Instant operation: the 202 carries no Retry-After, so the first poll goes out at once and hangs.
    arm = await startArm({ durations: { deallocate: 0 } });
    const clock = simulatedClock(arm);
    const compute = adapterFor(arm, { clock });
    arm.faults.add({ operation: 'operation.status', fault: { kind: 'hang' } });
    const hung = pendingOf(
      await compute.runPowerOperation(vmIdOf('fgt-a1'), 'deallocate', { budgetMs: 400 }),
    );
    expect(hung.error?.code).toBe('timeout');

    arm.faults.add({ operation: 'operation.status', fault: { kind: 'throttle', retryAfterSeconds: 90 } });
    const throttled = pendingOf(await compute.resumePowerOperation(hung.operation, { budgetMs: 400 }));
    expect(throttled.error).toMatchObject({ code: 'throttled', retryAfterSeconds: 90 });
    expect(Date.parse(throttled.operation.nextPollAt) - clock.now()).toBe(90_000);

    arm.clock.advance(90_000);
    expect(await compute.resumePowerOperation(throttled.operation, { budgetMs: 400 })).toEqual({
      outcome: 'succeeded',
    });
    expect(operationsLogged(arm)).toEqual([
      'vm.deallocate',
      'operation.status',
      'operation.status',
      'operation.status',
      'operation.result',
    ]);
    expect(arm.machine('fgt-a1').powerState).toBe('deallocated');
  });

  it('reports an operation overtaken by a manual change as a conflict', async () => {
    arm = await startArm({ durations: { deallocate: 60_000 } });
    const compute = adapterFor(arm, { clock: simulatedClock(arm) });
    const pending = pendingOf(
      await compute.runPowerOperation(vmIdOf('fgt-b1', 'rg-b'), 'deallocate', { budgetMs: 1_000 }),
    );
    arm.setPowerState('fgt-b1', 'running');
    arm.clock.advance(60_000);
    const result = await compute.resumePowerOperation(pending.operation, { budgetMs: 1_000 });
    expect(result.outcome === 'failed' && result.error.code).toBe('conflict');
    expect(arm.machine('fgt-b1').powerState).toBe('running');
  });

  it('reports a vanished operation as notFound', async () => {
    arm = await startArm({ durations: { start: 60_000 } });
    const compute = adapterFor(arm, { clock: simulatedClock(arm) });
    const pending = pendingOf(
      await compute.runPowerOperation(vmIdOf('fgt-a2'), 'start', { budgetMs: 1_000 }),
    );
    arm.faults.add({ operation: 'operation.status', fault: { kind: 'http', status: 404, code: 'NotFound' } });
    arm.clock.advance(60_000);
    const result = await compute.resumePowerOperation(pending.operation, { budgetMs: 1_000 });
    expect(result.outcome === 'failed' && result.error.code).toBe('notFound');
  });

  it('accepts a start of a running VM as a quick no-op', async () => {
    arm = await startArm();
    const compute = adapterFor(arm, { clock: simulatedClock(arm) });
    expect(await compute.runPowerOperation(vmIdOf('fgt-a1'), 'start', BUDGET)).toEqual({
      outcome: 'succeeded',
    });
    expect(operationsLogged(arm)).toEqual(['vm.start', 'operation.status', 'operation.result']);
    expect(arm.machine('fgt-a1').transitions).toEqual([{ at: T0, state: 'running' }]);
  });

  it('honours the caller signal and refuses bad input in one line', async () => {
    arm = await startArm({ durations: { start: 60_000 } });
    const compute = adapterFor(arm);
    const aborted = await compute.runPowerOperation(vmIdOf('fgt-a2'), 'start', {
      budgetMs: 5_000,
      signal: AbortSignal.abort(),
    });
    expect(aborted.outcome === 'failed' && aborted.error.code).toBe('timeout');
    await expect(compute.runPowerOperation(vmIdOf('fgt-a2'), 'start', { budgetMs: -1 })).rejects.toThrow(
      /^budgetMs: -1 is not valid; expected milliseconds >= 0$/,
    );
    await expect(compute.runPowerOperation('vm-1', 'start', BUDGET)).rejects.toThrow(
      /^vmId: "vm-1" is not a valid/,
    );
    await expect(compute.runPowerOperation(vmIdOf('fgt-a2'), 'restart' as never, BUDGET)).rejects.toThrow(
      /^action: "restart" is not valid; expected "start" or "deallocate"$/,
    );
    await expect(
      compute.resumePowerOperation(
        { vmId: vmIdOf('fgt-a2'), action: 'start', startedAt: T0, nextPollAt: T0, poller: '{}' },
        BUDGET,
      ),
    ).rejects.toThrow(/^operation\.poller: not a serialised poller state/);
  });
});
