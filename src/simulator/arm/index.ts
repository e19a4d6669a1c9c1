/**
 * A local Azure Resource Manager simulator (compute and network) over HTTPS on loopback, for the compute
 * adapter's tests, the demo and benchmarks. It serves what the real SDKs call:
 *
 * - VM lists per resource group and per subscription (with `statusOnly=true`: id, name and statuses, no
 *   tags; `$expand=instanceView` refused without the scale-set `$filter`, as ARM does), VM get and instance
 *   view, scale-set get, scale-set VM lists (Uniform instances; Flexible members through the VM list with
 *   the scale-set filter), NIC lists (the set's NICs for Uniform, the resource group's for VMs), each
 *   paged with absolute `nextLink`s on its own origin; any `api-version` accepted (one is required).
 * - `start` and `deallocate` as long-running operations: 202 with `Azure-AsyncOperation`, `Location`
 *   (`monitor=true`) and `Retry-After` (+ `retry-after-ms`) for the time left; status polls answer
 *   `{ status: InProgress | Succeeded | Failed | Canceled, error? }`; the Location URL answers 202 while
 *   running and 200 (not 204) once done. Durations are configurable, on the simulated clock (`timing:
 *   'simulated'`, the default: tests advance the clock) or on the wall clock (`'wall'`, scaled by
 *   `timeScale`, for benchmarks). Under simulated timing Retry-After counts simulated time, so give the
 *   compute adapter a clock whose `delay` advances the simulated clock (see `test/support/arm.ts`); with
 *   wall time it would return `inProgress` at once. A second operation on a busy VM is a 409.
 * - Failure injection per operation and resource: AllocationFailed (the start ends Failed), 409, 429 with
 *   Retry-After, 500, any status, hang, and a missing power state in lists.
 * - Manual power changes (`setPowerState`: a start by hand, `guestShutdown`: running → stopped, still
 *   billed), scale-set growth and shrinkage, and an hours ledger per machine: time spent starting, running,
 *   stopping or stopped on the simulated clock (the clock the FortiFlex ledger charges Pacific days on).
 * - A static bearer token (401 without it) and a request log shared with the FortiFlex simulator.
 */
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { isIP } from 'node:net';
import { SimClock } from '../clock';
import { RequestLog, type LoggedRequest, type RequestFilter } from '../request-log';
import { parseInstant } from '../time';
import { createLocalCa, issueServerCertificate, type KeyPair } from '../tls';
import { ArmFaultInjector } from './faults';
import type { Machine, MachineState } from './machine';
import { OperationBook } from './operations';
import { createArmServer } from './server';
import type { ArmFaultRule, ArmSeed, ArmSimulatorOptions, OperationDurations, SimPowerState } from './types';
import { ArmWorld } from './world';

export type * from './types';
export type { MachineState } from './machine';
export { defaultArmWorld, DEFAULT_SUBSCRIPTION } from './seed';

/** A machine as tests see it. */
export interface MachineView {
  id: string;
  name: string;
  kind: 'vm' | 'uniformInstance';
  subscriptionId: string;
  resourceGroup: string;
  location: string;
  tags: Record<string, string>;
  scaleSetId?: string;
  instanceId?: string;
  privateIp: string;
  powerState: MachineState;
  /** The operation in progress, if any. */
  pendingOperation?: 'start' | 'deallocate';
  /** Every state change, on the simulated clock. */
  transitions: { at: string; state: MachineState }[];
}

/** A running ARM simulator. */
export interface ArmSimulatorHandle {
  /** `https://127.0.0.1:<port>`: the value of `AZURE_RESOURCE_MANAGER_ENDPOINT`. */
  endpoint: string;
  /** The static bearer token (simulator-only): the value of `AZURE_RESOURCE_MANAGER_TOKEN`. */
  token: string;
  /** PEM of the CA that signed the server certificate: trust it per client (`tlsCa`) or per process. */
  caCertificate: string;
  /** The simulated clock (shared with the FortiFlex simulator when started through `startSimulator`). */
  clock: { now(): Date; set(at: Date | string): void; advance(ms: number): void };
  /** ARM requests in arrival order (the shared log holds the FortiFlex ones too). */
  requests(filter?: Omit<RequestFilter, 'service'>): LoggedRequest[];
  clearRequests(): void;
  faults: { add(rule: ArmFaultRule): void; clear(): void };
  setDurations(durations: Partial<OperationDurations>): void;
  setLatency(ms: number): void;
  machines(): MachineView[];
  /** A machine by ARM id or unique name. */
  machine(ref: string): MachineView;
  /** A power change outside ARM operations (by hand, another tool); cancels an operation in progress. */
  setPowerState(ref: string, state: 'running' | 'stopped' | 'deallocated'): void;
  /** A shutdown from inside the guest: running → stopped (still allocated and billed). */
  guestShutdown(ref: string): void;
  /** Scale-out: adds instances to a scale set; returns them. */
  addInstances(
    scaleSet: string,
    count: number,
    options?: {
      powerState?: 'running' | 'stopped' | 'deallocated';
      /** One private IP per new instance (e.g. the addresses of simulated FortiGates); default from the set's range. */
      privateIps?: readonly string[];
    },
  ): MachineView[];
  /** Scale-in: removes instances (names or ids) from a scale set. */
  removeInstances(scaleSet: string, instances: readonly string[]): void;
  /** Billed compute hours of one machine between `from` and `to` (default: the start, now). */
  billedHours(ref: string, range?: { from?: Date | string; to?: Date | string }): number;
  stop(): Promise<void>;
}

/** What {@link startArmSimulator} needs besides its options. */
export interface ArmSimulatorContext {
  /** The clock shared with the FortiFlex simulator (a fresh one at the default start otherwise). */
  clock?: SimClock;
  /** The shared request log. */
  log?: RequestLog;
  /** The ARM part of the seed. */
  seed?: ArmSeed;
  /** The CA to sign the server certificate with (one is generated otherwise). */
  ca?: KeyPair;
}

function checkDurations(durations: OperationDurations): OperationDurations {
  for (const [key, ms] of Object.entries(durations)) {
    if (!Number.isFinite(ms) || ms < 0)
      throw new Error(`durations.${key}: ${ms} is not valid; expected milliseconds >= 0`);
  }
  return durations;
}

function checkLoopback(host: string): string {
  const loopback = host === 'localhost' || (isIP(host) === 4 && host.startsWith('127.')) || host === '::1';
  if (!loopback)
    throw new Error(`host: "${host}" is not a loopback address; expected 127.0.0.0/8, ::1 or localhost`);
  return host;
}

function view(machine: Machine): MachineView {
  const p = machine.placement;
  return {
    id: p.id,
    name: p.name,
    kind: p.kind,
    subscriptionId: p.subscriptionId,
    resourceGroup: p.resourceGroup,
    location: p.location,
    tags: { ...p.tags },
    ...(p.scaleSetId !== undefined && { scaleSetId: p.scaleSetId }),
    ...(p.instanceId !== undefined && { instanceId: p.instanceId }),
    privateIp: p.nic.privateIp,
    powerState: machine.state,
    ...(machine.pending && { pendingOperation: machine.pending.action }),
    transitions: machine.transitions().map((t) => ({ at: new Date(t.atMs).toISOString(), state: t.state })),
  };
}

/** Starts an ARM simulator. */
export async function startArmSimulator(
  options: ArmSimulatorOptions = {},
  context: ArmSimulatorContext = {},
): Promise<ArmSimulatorHandle> {
  const clock = context.clock ?? new SimClock(parseInstant('2026-03-02T08:00:00-08:00', 'clock'));
  const log = context.log ?? new RequestLog(clock);
  const host = checkLoopback(options.host ?? '127.0.0.1');
  const timing = options.timing ?? 'simulated';
  if (timing !== 'simulated' && timing !== 'wall')
    throw new Error(`timing: "${timing}" is not valid; expected "simulated" or "wall"`);
  const timeScale = options.timeScale ?? 1;
  if (!Number.isFinite(timeScale) || timeScale <= 0)
    throw new Error(`timeScale: ${timeScale} is not valid; expected a number > 0`);
  const pageSize = options.pageSize ?? 100;
  if (!Number.isInteger(pageSize) || pageSize < 1)
    throw new Error(`pageSize: ${pageSize} is not valid; expected an integer >= 1`);
  let latency = options.latencyMs ?? 0;
  const durations = checkDurations({ start: 60_000, deallocate: 30_000, redundant: 0, ...options.durations });
  const world = new ArmWorld(context.seed ?? {}, clock);
  const operations = new OperationBook(clock, timing, timeScale, durations);
  if (timing === 'simulated') clock.onChange(() => operations.settle());
  const faults = new ArmFaultInjector();
  const token = options.token ?? `sim-arm-${randomBytes(16).toString('hex')}`;
  const ca = context.ca ?? (await createLocalCa());
  const certificate = await issueServerCertificate(ca, [host, 'localhost']);
  const hanging = new Set<ServerResponse>();
  const server = createArmServer(
    {
      world,
      operations,
      faults,
      log,
      clock,
      token,
      pageSize,
      retryAfter: options.retryAfter ?? 'remaining',
      latencyMs: () => latency,
    },
    certificate,
    hanging,
  );
  // Every socket, TLS handshakes included: `closeAllConnections` misses those still handshaking, which would
  // then hold `close` for the keep-alive timeout.
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `https://${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
  const machine = (ref: string, withRemoved = false): Machine => {
    operations.settle();
    return world.resolve(ref, withRemoved);
  };
  let stopped: Promise<void> | undefined;

  return {
    endpoint,
    token,
    caCertificate: ca.cert,
    clock: { now: () => clock.now(), set: (at) => clock.set(at), advance: (ms) => clock.advance(ms) },
    requests: (filter = {}) => log.entries({ ...filter, service: 'arm' }),
    clearRequests: () => log.clear(),
    faults: { add: (rule) => faults.add(rule), clear: () => faults.clear() },
    setDurations: (changes) => {
      operations.durations = checkDurations({ ...operations.durations, ...changes });
    },
    setLatency: (ms) => {
      if (!Number.isFinite(ms) || ms < 0)
        throw new Error(`latencyMs: ${ms} is not valid; expected milliseconds >= 0`);
      latency = ms;
    },
    machines: () => {
      operations.settle();
      return [...world.machines.values()].map(view);
    },
    machine: (ref) => view(machine(ref, true)),
    setPowerState: (ref, state: SimPowerState) => {
      if (!['running', 'stopped', 'deallocated'].includes(state)) {
        throw new Error(`setPowerState: "${state}" is not valid; expected running, stopped or deallocated`);
      }
      const target = machine(ref);
      operations.preempt(target);
      target.setState(state, clock.nowMs());
    },
    guestShutdown: (ref) => {
      const target = machine(ref);
      if (target.state !== 'running') {
        throw new Error(
          `guestShutdown: ${target.placement.name} is ${target.state}; a guest shutdown needs running`,
        );
      }
      operations.preempt(target);
      target.setState('stopped', clock.nowMs());
    },
    addInstances: (ref, count, opts = {}) => {
      if (!Number.isInteger(count) || count < 1)
        throw new Error(`addInstances: ${count} is not valid; expected an integer >= 1`);
      const { privateIps, ...common } = opts;
      if (privateIps !== undefined && privateIps.length !== count)
        throw new Error(
          `addInstances: ${privateIps.length} privateIps for ${count} instances; expected one each`,
        );
      const set = world.resolveScaleSet(ref);
      return world
        .addInstances(
          set,
          Array.from({ length: count }, (_, i) => ({
            ...common,
            ...(privateIps && { privateIp: privateIps[i] }),
          })),
        )
        .map(view);
    },
    removeInstances: (ref, instances) => {
      const set = world.resolveScaleSet(ref);
      for (const instance of instances) {
        const target = machine(instance);
        operations.preempt(target);
        world.removeInstance(set, target);
      }
    },
    billedHours: (ref, range = {}) => {
      const target = machine(ref, true);
      const from = range.from === undefined ? -Infinity : parseInstant(range.from, 'billedHours.from');
      const to = range.to === undefined ? clock.nowMs() : parseInstant(range.to, 'billedHours.to');
      return target.billedMs(from, to) / 3_600_000;
    },
    stop: () => {
      stopped ??= new Promise<void>((resolve) => {
        hanging.clear();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return stopped;
    },
  };
}
