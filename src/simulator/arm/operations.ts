/**
 * Start and deallocate as long-running operations. An operation puts its machine in `starting` or
 * `deallocating` and ends after its duration: under `simulated` timing when the simulated clock passes its
 * end (the transition is stamped at that exact instant, however far the clock jumped), under `wall` timing
 * after duration / timeScale of wall time (stamped with the simulated clock when observed). A start that
 * carries an injected AllocationFailed ends Failed and leaves the machine as it was; a manual power change
 * during an operation cancels it (OperationPreempted). A start of a running VM or a deallocate of a
 * deallocated one is accepted and ends after the `redundant` duration without changing anything.
 */
import { randomUUID } from 'node:crypto';
import type { SimClock } from '../clock';
import { ArmError, operationNotAllowed } from './errors';
import type { Machine, MachineState } from './machine';
import type { OperationDurations, SimPowerState } from './types';

/** The two operations. */
export type SimAction = 'start' | 'deallocate';

/** An ARM error as an operation status reports it. */
export interface OperationFailure {
  code: string;
  message: string;
}

/** One operation. */
export interface SimOperation {
  id: string;
  action: SimAction;
  machine: Machine;
  startedSimMs: number;
  startedWallMs: number;
  durationMs: number;
  status: 'InProgress' | 'Succeeded' | 'Failed' | 'Canceled';
  endedSimMs?: number;
  error?: OperationFailure;
  /** Ends the operation Failed with this error instead of succeeding. */
  failWith?: OperationFailure;
  /** State before the operation (restored when it fails). */
  before: MachineState;
  /** False for the redundant case (no state change). */
  changes: boolean;
}

const TRANSITIONAL: Record<SimAction, SimPowerState> = { start: 'starting', deallocate: 'deallocating' };
const FINAL: Record<SimAction, SimPowerState> = { start: 'running', deallocate: 'deallocated' };
const wallNow = (): number => performance.now();

/** The operations of one simulator. */
export class OperationBook {
  private readonly byId = new Map<string, SimOperation>();
  private readonly running = new Set<SimOperation>();

  constructor(
    private readonly clock: SimClock,
    private readonly timing: 'simulated' | 'wall',
    private readonly timeScale: number,
    public durations: OperationDurations,
  ) {}

  /** Starts an operation on `machine`; 409 when one is already in progress. */
  begin(machine: Machine, action: SimAction, failWith?: OperationFailure): SimOperation {
    this.settle();
    if (machine.pending) throw operationNotAllowed(action, machine.placement.name, machine.pending.action);
    if (machine.state === 'deleted')
      throw new ArmError(404, 'NotFound', `VM '${machine.placement.name}' was deleted.`);
    const redundant =
      (action === 'start' && machine.state === 'running') ||
      (action === 'deallocate' && machine.state === 'deallocated');
    const now = this.clock.nowMs();
    const op: SimOperation = {
      id: randomUUID(),
      action,
      machine,
      startedSimMs: now,
      startedWallMs: wallNow(),
      durationMs: redundant ? this.durations.redundant : this.durations[action],
      status: 'InProgress',
      before: machine.state,
      changes: !redundant,
      ...(failWith && { failWith }),
    };
    this.byId.set(op.id, op);
    this.running.add(op);
    machine.pending = op;
    if (op.changes) machine.setState(TRANSITIONAL[action], now);
    this.settle();
    return op;
  }

  /** Ends every operation whose time has come. */
  settle(): void {
    for (const op of this.running) {
      if (this.timing === 'simulated') {
        const end = op.startedSimMs + op.durationMs;
        if (this.clock.nowMs() >= end) this.finish(op, end);
      } else if ((wallNow() - op.startedWallMs) * this.timeScale >= op.durationMs) {
        this.finish(op, this.clock.nowMs());
      }
    }
  }

  private finish(op: SimOperation, atMs: number): void {
    this.running.delete(op);
    op.machine.pending = undefined;
    op.endedSimMs = atMs;
    if (op.failWith) {
      op.status = 'Failed';
      op.error = op.failWith;
      op.machine.setState(op.before, atMs);
    } else {
      op.status = 'Succeeded';
      if (op.changes) op.machine.setState(FINAL[op.action], atMs);
    }
  }

  /** Cancels the machine's operation (a manual power change overtook it). */
  preempt(machine: Machine): void {
    const op = machine.pending;
    if (!op) return;
    this.running.delete(op);
    machine.pending = undefined;
    op.status = 'Canceled';
    op.endedSimMs = this.clock.nowMs();
    op.error = {
      code: 'OperationPreempted',
      message: `Operation '${op.action}' was preempted by a more recent operation.`,
    };
  }

  /** The operation with this id, settled first. */
  get(id: string): SimOperation | undefined {
    this.settle();
    return this.byId.get(id.toLowerCase()) ?? this.byId.get(id);
  }

  /** Time left, in the unit clients wait in: simulated ms (`simulated`) or wall ms (`wall`). */
  remainingMs(op: SimOperation): number {
    if (op.status !== 'InProgress') return 0;
    if (this.timing === 'simulated') return Math.max(0, op.startedSimMs + op.durationMs - this.clock.nowMs());
    return Math.max(0, op.durationMs / this.timeScale - (wallNow() - op.startedWallMs));
  }
}
