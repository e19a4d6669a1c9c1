/**
 * ARM request routing: the paths the SDK calls need, each resolved to an operation name (the
 * name the request log and the fault rules use), the resource it is about, and a handler that answers from
 * the world. Paths compare case-insensitively, as ARM's do; lists page with absolute `nextLink`s on the
 * simulator's own origin.
 */
import { ArmError } from './errors';
import type { Machine } from './machine';
import type { OperationBook, OperationFailure, SimAction } from './operations';
import {
  instanceViewJson,
  nicJson,
  operationStatusJson,
  scaleSetJson,
  scaleSetVmJson,
  statusOnlyJson,
  vmJson,
} from './views';
import type { ArmWorld } from './world';

/** An answer. */
export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** What handlers get besides the route parameters. */
export interface RouteContext {
  world: ArmWorld;
  operations: OperationBook;
  url: URL;
  pageSize: number;
  retryAfter: 'remaining' | 'none';
  /** Simulated instant formatting for operation timestamps. */
  iso(ms: number): string;
  /** Machines whose power state a fault hides from this answer. */
  hidesPower(machine: Machine): boolean;
  /** An injected failure for the operation a start begins. */
  failWith?: OperationFailure;
}

/** A matched route. */
export interface Route {
  operation: string;
  method: 'GET' | 'POST';
  /** The resource the request is about (lower-cased ARM id), when known. */
  target?: string;
  handle(ctx: RouteContext): Reply;
}

const SEG = '([^/]+)';
const SUB = `/subscriptions/${SEG}`;
const RG = `${SUB}/resourcegroups/${SEG}`;
const VM = `${RG}/providers/microsoft\\.compute/virtualmachines/${SEG}`;
const VMSS = `${RG}/providers/microsoft\\.compute/virtualmachinescalesets/${SEG}`;
const re = (pattern: string): RegExp => new RegExp(`^${pattern}/?$`, 'i');

const PATTERNS = {
  listAll: re(`${SUB}/providers/microsoft\\.compute/virtualmachines`),
  operation: re(`${SUB}/providers/microsoft\\.compute/locations/${SEG}/operations/${SEG}`),
  list: re(`${RG}/providers/microsoft\\.compute/virtualmachines`),
  vm: re(VM),
  vmInstanceView: re(`${VM}/instanceview`),
  vmAction: re(`${VM}/(start|deallocate)`),
  vmss: re(VMSS),
  vmssVms: re(`${VMSS}/virtualmachines`),
  vmssVmInstanceView: re(`${VMSS}/virtualmachines/${SEG}/instanceview`),
  vmssNics: re(`${VMSS}/networkinterfaces`),
  vmssVmNics: re(`${VMSS}/virtualmachines/${SEG}/networkinterfaces`),
  nics: re(`${RG}/providers/microsoft\\.network/networkinterfaces`),
  nic: re(`${RG}/providers/microsoft\\.network/networkinterfaces/${SEG}`),
};

const scopeId = (sub: string, rg?: string): string =>
  (rg === undefined ? `/subscriptions/${sub}` : `/subscriptions/${sub}/resourcegroups/${rg}`).toLowerCase();
const vmId = (sub: string, rg: string, name: string): string =>
  `${scopeId(sub, rg)}/providers/microsoft.compute/virtualmachines/${name}`.toLowerCase();
const setId = (sub: string, rg: string, name: string): string =>
  `${scopeId(sub, rg)}/providers/microsoft.compute/virtualmachinescalesets/${name}`.toLowerCase();

/** One page of `items` and the absolute link to the next. */
function page(items: readonly unknown[], ctx: RouteContext): Reply {
  const skip = Math.max(0, Number(ctx.url.searchParams.get('$skiptoken') ?? 0) || 0);
  const value = items.slice(skip, skip + ctx.pageSize);
  const body: Record<string, unknown> = { value };
  if (skip + ctx.pageSize < items.length) {
    const next = new URL(ctx.url.href);
    next.searchParams.set('$skiptoken', String(skip + ctx.pageSize));
    body.nextLink = next.href;
  }
  return { status: 200, body };
}

/** The scale-set id a `$filter='virtualMachineScaleSet/id' eq '<id>'` names, or undefined without a filter. */
function scaleSetFilter(ctx: RouteContext): string | undefined {
  const filter = ctx.url.searchParams.get('$filter');
  if (filter === null || filter.trim() === '') return undefined;
  const match = /^\s*'?virtualMachineScaleSet\/id'?\s+eq\s+'?([^']+?)'?\s*$/i.exec(filter);
  if (!match) throw new ArmError(400, 'InvalidParameter', `The $filter '${filter}' is not supported.`);
  return match[1]!.toLowerCase();
}

function expandsInstanceView(ctx: RouteContext): boolean {
  return (ctx.url.searchParams.get('$expand') ?? '').toLowerCase() === 'instanceview';
}

/** Headers announcing how long to wait, in the unit the clients wait in. */
function retryHeaders(ms: number, ctx: RouteContext): Record<string, string> {
  if (ctx.retryAfter === 'none' || ms <= 0) return {};
  return {
    'retry-after': String(Math.max(1, Math.ceil(ms / 1000))),
    'retry-after-ms': String(Math.ceil(ms)),
  };
}

function listVms(sub: string, rg: string | undefined, ctx: RouteContext): Reply {
  const filterSet = scaleSetFilter(ctx);
  const expand = expandsInstanceView(ctx);
  if (expand && filterSet === undefined) {
    throw new ArmError(
      400,
      'InvalidParameter',
      'Expand Instance View is only supported when Virtual Machine Scale Set resource filter is applied.',
    );
  }
  const machines = ctx.world
    .vms(sub, rg)
    .filter((m) => filterSet === undefined || m.placement.scaleSetId?.toLowerCase() === filterSet);
  return page(
    machines.map((m) => vmJson(m, { instanceView: expand, omitPower: ctx.hidesPower(m) })),
    ctx,
  );
}

function startAction(machine: Machine, action: SimAction, ctx: RouteContext): Reply {
  const op = ctx.operations.begin(machine, action, action === 'start' ? ctx.failWith : undefined);
  const { subscriptionId, location } = machine.placement;
  const apiVersion = ctx.url.searchParams.get('api-version') ?? '';
  const status = new URL(
    `/subscriptions/${subscriptionId}/providers/Microsoft.Compute/locations/${location}/operations/${op.id}`,
    ctx.url.origin,
  );
  status.searchParams.set('p', machine.vmId);
  status.searchParams.set('api-version', apiVersion);
  const monitor = new URL(status.href);
  monitor.searchParams.set('monitor', 'true');
  return {
    status: 202,
    headers: {
      'azure-asyncoperation': status.href,
      location: monitor.href,
      ...retryHeaders(ctx.operations.remainingMs(op), ctx),
    },
  };
}

function pollOperation(id: string, ctx: RouteContext): Reply {
  const op = ctx.operations.get(id);
  if (!op) throw new ArmError(404, 'NotFound', `The operation '${id}' was not found.`);
  const wait = retryHeaders(ctx.operations.remainingMs(op), ctx);
  if (ctx.url.searchParams.get('monitor') === 'true') {
    // The Location URL: 202 while running, then 200 (a 204 here makes the SDK throw after success).
    return op.status === 'InProgress' ? { status: 202, headers: wait } : { status: 200 };
  }
  const body = operationStatusJson(
    op,
    ctx.iso(op.startedSimMs),
    op.endedSimMs === undefined ? undefined : ctx.iso(op.endedSimMs),
  );
  return { status: 200, body, headers: op.status === 'InProgress' ? wait : {} };
}

function uniformInstance(
  sub: string,
  rg: string,
  name: string,
  instanceId: string,
  ctx: RouteContext,
): Machine {
  const set = ctx.world.scaleSet(sub, rg, name);
  const machine = [...set.members.values()].find((m) => m.placement.instanceId === instanceId);
  if (!machine || set.mode !== 'Uniform') {
    throw new ArmError(404, 'NotFound', `The instance '${instanceId}' of scale set '${name}' was not found.`);
  }
  return machine;
}

/** Matches a request; undefined for paths the simulator does not serve. */
export function matchRoute(
  pathname: string,
  world: ArmWorld,
  url: URL,
  operations: OperationBook,
): Route | undefined {
  let m: RegExpExecArray | null;
  if ((m = PATTERNS.listAll.exec(pathname))) {
    const [, sub] = m as unknown as [string, string];
    const statusOnly = (url.searchParams.get('statusOnly') ?? '').toLowerCase() === 'true';
    return {
      operation: statusOnly ? 'vm.listAllStatus' : 'vm.listAll',
      method: 'GET',
      target: scopeId(sub),
      handle: (ctx) =>
        statusOnly
          ? page(
              ctx.world.vms(sub).map((vm) => statusOnlyJson(vm, ctx.hidesPower(vm))),
              ctx,
            )
          : listVms(sub, undefined, ctx),
    };
  }
  if ((m = PATTERNS.operation.exec(pathname))) {
    const id = m[3]!;
    const monitor = url.searchParams.get('monitor') === 'true';
    return {
      operation: monitor ? 'operation.result' : 'operation.status',
      method: 'GET',
      target: operations.get(id)?.machine.key,
      handle: (ctx) => pollOperation(id, ctx),
    };
  }
  if ((m = PATTERNS.list.exec(pathname))) {
    const [, sub, rg] = m as unknown as [string, string, string];
    return {
      operation: 'vm.list',
      method: 'GET',
      target: scopeId(sub, rg),
      handle: (ctx) => listVms(sub, rg, ctx),
    };
  }
  if ((m = PATTERNS.vm.exec(pathname))) {
    const [, sub, rg, name] = m as unknown as [string, string, string, string];
    return {
      operation: 'vm.get',
      method: 'GET',
      target: vmId(sub, rg, name),
      handle: (ctx) => {
        const vm = ctx.world.vm(sub, rg, name);
        return {
          status: 200,
          body: vmJson(vm, { instanceView: expandsInstanceView(ctx), omitPower: ctx.hidesPower(vm) }),
        };
      },
    };
  }
  if ((m = PATTERNS.vmInstanceView.exec(pathname))) {
    const [, sub, rg, name] = m as unknown as [string, string, string, string];
    return {
      operation: 'vm.instanceView',
      method: 'GET',
      target: vmId(sub, rg, name),
      handle: (ctx) => {
        const vm = ctx.world.vm(sub, rg, name);
        return { status: 200, body: instanceViewJson(vm, ctx.hidesPower(vm)) };
      },
    };
  }
  if ((m = PATTERNS.vmAction.exec(pathname))) {
    const [, sub, rg, name, verb] = m as unknown as [string, string, string, string, string];
    const action = verb.toLowerCase() as SimAction;
    return {
      operation: `vm.${action}`,
      method: 'POST',
      target: vmId(sub, rg, name),
      handle: (ctx) => startAction(ctx.world.vm(sub, rg, name), action, ctx),
    };
  }
  if ((m = PATTERNS.vmss.exec(pathname))) {
    const [, sub, rg, name] = m as unknown as [string, string, string, string];
    return {
      operation: 'vmss.get',
      method: 'GET',
      target: setId(sub, rg, name),
      handle: (ctx) => ({ status: 200, body: scaleSetJson(ctx.world.scaleSet(sub, rg, name)) }),
    };
  }
  if ((m = PATTERNS.vmssVms.exec(pathname))) {
    const [, sub, rg, name] = m as unknown as [string, string, string, string];
    return {
      operation: 'vmss.vms',
      method: 'GET',
      target: setId(sub, rg, name),
      handle: (ctx) => {
        const members = [...ctx.world.scaleSet(sub, rg, name).members.values()];
        const expand = expandsInstanceView(ctx);
        return page(
          members.map((vm) => scaleSetVmJson(vm, { instanceView: expand, omitPower: ctx.hidesPower(vm) })),
          ctx,
        );
      },
    };
  }
  if ((m = PATTERNS.vmssVmInstanceView.exec(pathname))) {
    const [, sub, rg, name, instanceId] = m as unknown as [string, string, string, string, string];
    return {
      operation: 'vmss.vm.instanceView',
      method: 'GET',
      target: `${setId(sub, rg, name)}/virtualmachines/${instanceId.toLowerCase()}`,
      handle: (ctx) => {
        const vm = uniformInstance(sub, rg, name, instanceId, ctx);
        return { status: 200, body: instanceViewJson(vm, ctx.hidesPower(vm)) };
      },
    };
  }
  if ((m = PATTERNS.vmssNics.exec(pathname)) || (m = PATTERNS.vmssVmNics.exec(pathname))) {
    const [, sub, rg, name, instanceId] = m as unknown as [
      string,
      string,
      string,
      string,
      string | undefined,
    ];
    return {
      operation: instanceId === undefined ? 'vmss.nics' : 'vmss.vm.nics',
      method: 'GET',
      target: setId(sub, rg, name),
      handle: (ctx) => {
        const set = ctx.world.scaleSet(sub, rg, name);
        if (set.mode !== 'Uniform') {
          throw new ArmError(
            400,
            'BadRequest',
            'This operation is not supported for a virtual machine scale set with Flexible orchestration mode.',
          );
        }
        const members =
          instanceId === undefined
            ? [...set.members.values()]
            : [uniformInstance(sub, rg, name, instanceId, ctx)];
        return page(members.map(nicJson), ctx);
      },
    };
  }
  if ((m = PATTERNS.nics.exec(pathname))) {
    const [, sub, rg] = m as unknown as [string, string, string];
    return {
      operation: 'nic.list',
      method: 'GET',
      target: scopeId(sub, rg),
      handle: (ctx) => page(ctx.world.vms(sub, rg).map(nicJson), ctx),
    };
  }
  if ((m = PATTERNS.nic.exec(pathname))) {
    const [, sub, rg, name] = m as unknown as [string, string, string, string];
    return {
      operation: 'nic.get',
      method: 'GET',
      target: `${scopeId(sub, rg)}/providers/microsoft.network/networkinterfaces/${name.toLowerCase()}`,
      handle: (ctx) => {
        const owner = ctx.world
          .vms(sub, rg)
          .find((vm) => vm.placement.nic.name.toLowerCase() === name.toLowerCase());
        if (!owner) throw new ArmError(404, 'NotFound', `The network interface '${name}' was not found.`);
        return { status: 200, body: nicJson(owner) };
      },
    };
  }
  return undefined;
}
