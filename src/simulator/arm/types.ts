/**
 * Public types of the ARM simulator: the seed keys it adds to the simulator seed, its options and its faults.
 */

/** Power states the simulator models (the instance view's `PowerState/<state>`). */
export type SimPowerState = 'starting' | 'running' | 'stopping' | 'stopped' | 'deallocating' | 'deallocated';

/** A standalone virtual machine in a seed. */
export interface SeedVirtualMachine {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  /** Default `westeurope`. */
  location?: string;
  /** E.g. `{ "fortiflex-serial": "FGVMMLTM25000101" }`. */
  tags?: Record<string, string>;
  /** Default `running`; transitional states are not seedable. */
  powerState?: 'running' | 'stopped' | 'deallocated';
  /** Private IP of its NIC; default one from 10.0.0.0/16. */
  privateIp?: string;
}

/** An instance of a seeded scale set. */
export interface SeedScaleSetInstance {
  powerState?: 'running' | 'stopped' | 'deallocated';
  privateIp?: string;
  /** Tags of a Flexible member (ignored for Uniform: instances carry the set's tags). */
  tags?: Record<string, string>;
}

/** A scale set in a seed. */
export interface SeedScaleSet {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  mode: 'Uniform' | 'Flexible';
  location?: string;
  tags?: Record<string, string>;
  instances?: SeedScaleSetInstance[];
}

/** The ARM part of the simulator seed. */
export interface ArmSeed {
  virtualMachines?: SeedVirtualMachine[];
  scaleSets?: SeedScaleSet[];
}

/** How long operations take, in simulated milliseconds. */
export interface OperationDurations {
  start: number;
  deallocate: number;
  /** Start of a running VM, deallocate of a deallocated one (no state change). */
  redundant: number;
}

/** Options of the ARM simulator. */
export interface ArmSimulatorOptions {
  /** Loopback address to listen on; default 127.0.0.1. */
  host?: string;
  /** TCP port; 0 (default) lets the OS choose. */
  port?: number;
  /** The static bearer token requests must carry; default a random simulator-only token. */
  token?: string;
  /** Operation durations in simulated ms; default start 60 s, deallocate 30 s, redundant 0. */
  durations?: Partial<OperationDurations>;
  /**
   * `simulated` (default): operations end when the simulated clock passes their end; tests advance it, and
   * Retry-After counts simulated seconds. `wall`: operations run on the wall clock at `timeScale` simulated
   * ms per wall ms (benchmarks); Retry-After counts wall time.
   */
  timing?: 'simulated' | 'wall';
  /** Simulated milliseconds per wall millisecond under `wall` timing; default 1. */
  timeScale?: number;
  /**
   * `remaining` (default): 202s and status polls carry `Retry-After` (seconds, rounded up) and
   * `retry-after-ms` for the time left; `none`: no Retry-After at all (clients fall back to their interval).
   */
  retryAfter?: 'remaining' | 'none';
  /** Items per list page before a `nextLink`; default 100. */
  pageSize?: number;
  /** Added before every response (benchmarks), wall milliseconds. */
  latencyMs?: number;
}

/** What an {@link ArmFaultRule} injects. */
export type ArmFault =
  /** `vm.start` is accepted (202) and the operation ends Failed with AllocationFailed; the VM stays off. */
  | { kind: 'allocationFailed' }
  /** 409 Conflict, code OperationNotAllowed. */
  | { kind: 'conflict' }
  /** 429 with Retry-After and the Compute throttling body. */
  | { kind: 'throttle'; retryAfterSeconds: number }
  /** 500 InternalServerError. */
  | { kind: 'serverError' }
  /** Any status with an ARM error body. */
  | { kind: 'http'; status: number; code?: string; message?: string; retryAfterSeconds?: number }
  /** Never answers (until the simulator stops or the client gives up). */
  | { kind: 'hang' }
  /** Lists answer normally but leave the power state out of the target's instance view. */
  | { kind: 'omitPowerState' };

/** A fault injected into the next `times` matching requests. */
export interface ArmFaultRule {
  /**
   * The request's operation as the request log names it (`vm.start`, `vm.deallocate`, `operation.status`,
   * `operation.result`, `vm.listAll`, `vm.listAllStatus`, `vm.list`, `vm.get`, `vm.instanceView`,
   * `vmss.get`, `vmss.vms`, `vmss.nics`, `nic.list`, …) or `*`.
   */
  operation: string;
  /** Only requests about this resource: a name or an ARM id (case-insensitive). Any when omitted. */
  target?: string;
  /** Default 1; `Infinity` allowed. */
  times?: number;
  /** `before` (default): fail without changing anything; `after`: apply the request, then fail the answer. */
  when?: 'before' | 'after';
  fault: ArmFault;
}
