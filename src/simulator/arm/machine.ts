/**
 * One simulated machine (a standalone VM, a Flexible member or a Uniform instance): its power state, its NIC
 * and its compute ledger. The ledger is the power-state history on the simulated clock; billed time is the
 * time spent in starting, running, stopping or stopped (Microsoft's billing states: a guest shutdown leaves
 * the VM stopped and still billed), never in deallocating, deallocated, or after deletion.
 */
import { createHash } from 'node:crypto';
import type { SimOperation } from './operations';
import type { SimPowerState } from './types';

/** A machine's state: a power state, or gone (a removed scale-set instance). */
export type MachineState = SimPowerState | 'deleted';

/** One change of state. */
export interface PowerTransition {
  atMs: number;
  state: MachineState;
}

const BILLED: ReadonlySet<MachineState> = new Set(['starting', 'running', 'stopping', 'stopped']);

/** The NIC of a machine (one per machine in the simulator, always primary). */
export interface SimNic {
  id: string;
  name: string;
  privateIp: string;
}

/** Where a machine lives. */
export interface MachinePlacement {
  kind: 'vm' | 'uniformInstance';
  id: string;
  name: string;
  subscriptionId: string;
  resourceGroup: string;
  location: string;
  tags: Record<string, string>;
  nic: SimNic;
  /** The scale set's id for Flexible members and Uniform instances. */
  scaleSetId?: string;
  /** Uniform instances only. */
  instanceId?: string;
}

/** A deterministic GUID derived from a seed string (stable `vmId`s across runs). */
export function stableGuid(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A simulated machine. */
export class Machine {
  /** The id lower-cased: the key every lookup uses. */
  readonly key: string;
  readonly vmId: string;
  /** The operation in progress, if any. */
  pending?: SimOperation;
  private readonly history: PowerTransition[];

  constructor(
    readonly placement: MachinePlacement,
    state: SimPowerState,
    atMs: number,
  ) {
    this.key = placement.id.toLowerCase();
    this.vmId = stableGuid(this.key);
    this.history = [{ atMs, state }];
  }

  get state(): MachineState {
    return this.history[this.history.length - 1]!.state;
  }

  /** Changes state at `atMs` (never before the last change). */
  setState(state: MachineState, atMs: number): void {
    if (state === this.state) return;
    const last = this.history[this.history.length - 1]!;
    this.history.push({ atMs: Math.max(atMs, last.atMs), state });
  }

  /** Milliseconds billed between `fromMs` and `toMs`. */
  billedMs(fromMs: number, toMs: number): number {
    let total = 0;
    this.history.forEach((entry, i) => {
      if (!BILLED.has(entry.state)) return;
      const end = Math.min(this.history[i + 1]?.atMs ?? Infinity, toMs);
      const start = Math.max(entry.atMs, fromMs);
      if (end > start) total += end - start;
    });
    return total;
  }

  /** The state history (copies). */
  transitions(): PowerTransition[] {
    return this.history.map((t) => ({ ...t }));
  }
}
