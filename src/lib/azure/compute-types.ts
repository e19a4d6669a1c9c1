/**
 * The compute adapter's contract: what the use cases (VM pairing, pool sync) may ask of Azure compute and
 * what they get back. Everything here is plain data (JSON-serialisable), so results can be stored in records
 * and a pending operation can be resumed by a later run.
 */
import type { ComputeError } from './errors';
import type { PowerState } from './power-state';

/** Per-call options. */
export interface CallOptions {
  /** Aborts the call; the result is then a `timeout` {@link ComputeError}. */
  signal?: AbortSignal;
}

/** A virtual machine: standalone or a Flexible scale-set member. */
export interface VirtualMachineInfo {
  /** The ARM id as Azure returned it (compare with `sameId`). */
  id: string;
  name: string;
  subscriptionId: string;
  resourceGroup: string;
  location: string;
  /** Tags (empty object when none). */
  tags: Record<string, string>;
  /** From the instance view; `unknown` when Azure did not say (never read that as off). */
  powerState: PowerState;
  /** The Flexible scale set the VM belongs to, if any. */
  scaleSetId?: string;
}

/** The two ways to start or stop a VM. */
export type PowerAction = 'start' | 'deallocate';

/** How long a power operation may keep the caller waiting. */
export interface OperationBudget {
  /**
   * Milliseconds the call may take, polls and waits included. A wait that would end past the budget is not
   * started: the call returns `inProgress` at once.
   */
  budgetMs: number;
  /** Aborts waiting; the operation itself continues in Azure. */
  signal?: AbortSignal;
}

/**
 * A power operation Azure accepted and that has not ended yet; store it and pass it to
 * `resumePowerOperation` in a later run. No secrets: only URLs and timestamps.
 */
export interface PendingPowerOperation {
  vmId: string;
  action: PowerAction;
  /** When the operation was sent (ISO 8601, the adapter's clock). */
  startedAt: string;
  /** When Azure asked to be polled next (ISO 8601); resuming earlier makes no call until then. */
  nextPollAt: string;
  /** The SDK poller's serialised state (operation URLs). */
  poller: string;
}

/** How a power operation stands when the call returns. */
export type PowerOperationResult =
  | { outcome: 'succeeded' }
  /** The operation failed or could not be sent; the VM's state is whatever a re-read says. */
  | { outcome: 'failed'; error: ComputeError }
  /**
   * Still running in Azure. `error` is set when a status poll failed (throttled, unavailable): the
   * operation goes on regardless.
   */
  | { outcome: 'inProgress'; operation: PendingPowerOperation; error?: ComputeError };

/** A scale set's orchestration mode. */
export type OrchestrationMode = 'Uniform' | 'Flexible';

/** One instance of a scale set. */
export interface ScaleSetInstance {
  /** ARM id: `…/virtualMachineScaleSets/<set>/virtualMachines/<instanceId>` (Uniform) or the VM id (Flexible). */
  id: string;
  /** The VM name (what a FortiGate reads from IMDS `compute.name`). */
  name: string;
  /** The instance id within a Uniform set; undefined for Flexible members. */
  instanceId?: string;
  powerState: PowerState;
  /** Private IP of the primary IP configuration of the primary NIC; undefined when none is listed. */
  privateIp?: string;
  /** Tags of a Flexible member (Uniform instances carry the set's tags, not their own). */
  tags: Record<string, string>;
}

/** A scale set and its instances. */
export interface ScaleSetListing {
  id: string;
  name: string;
  mode: OrchestrationMode;
  instances: ScaleSetInstance[];
}
