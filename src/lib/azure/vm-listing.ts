/**
 * VMs with tags and power state in scopes, in as few ARM calls as the API allows. No single
 * call returns both for standalone VMs: the full model (with tags) comes from `listAll` or the resource
 * group's `list`, the power state from one `listAll({ statusOnly: 'true' })` per subscription, joined by
 * lower-cased id. A subscription scope costs 2 paged calls; resource-group scopes cost one `list` per group
 * plus that one statusOnly listing shared by every group of the subscription. Never one call per VM.
 */
import type { VirtualMachine } from '@azure/arm-compute' with { 'resolution-mode': 'import' };
import type { CallOptions, VirtualMachineInfo } from './compute-types';
import { toComputeError } from './errors';
import { normalizeId, parseResourceId, parseScope } from './ids';
import { powerStateOf, type PowerState } from './power-state';
import { drain, type SdkClients } from './sdk-clients';

/** What one subscription needs listed. */
interface SubscriptionPlan {
  subscriptionId: string;
  whole: boolean;
  /** Resource groups by lower-cased name, keeping the caller's spelling. */
  groups: Map<string, string>;
}

/** Groups scopes by subscription; a whole-subscription scope makes its resource-group scopes redundant. */
export function planScopes(scopes: readonly string[]): SubscriptionPlan[] {
  const plans = new Map<string, SubscriptionPlan>();
  scopes.forEach((text, i) => {
    const scope = parseScope(text, `scopes[${i}]`);
    const key = scope.subscriptionId.toLowerCase();
    const plan = plans.get(key) ?? { subscriptionId: scope.subscriptionId, whole: false, groups: new Map() };
    if (scope.kind === 'subscription') plan.whole = true;
    else plan.groups.set(scope.resourceGroup!.toLowerCase(), scope.resourceGroup!);
    plans.set(key, plan);
  });
  for (const plan of plans.values()) if (plan.whole) plan.groups.clear();
  return [...plans.values()];
}

function toInfo(vm: VirtualMachine, powerStates: Map<string, PowerState>): VirtualMachineInfo | undefined {
  if (!vm.id) return undefined;
  const parsed = parseResourceId(vm.id, 'virtualMachine.id');
  const info: VirtualMachineInfo = {
    id: vm.id,
    name: vm.name ?? parsed.names[0] ?? '',
    subscriptionId: parsed.subscriptionId,
    resourceGroup: parsed.resourceGroup ?? '',
    location: vm.location,
    tags: { ...(vm.tags ?? {}) },
    powerState: powerStates.get(normalizeId(vm.id)) ?? 'unknown',
  };
  if (vm.virtualMachineScaleSet?.id) info.scaleSetId = vm.virtualMachineScaleSet.id;
  return info;
}

/** Lists the VMs of every scope (subscription or resource-group ids); each VM once. */
export async function listVirtualMachines(
  clients: SdkClients,
  scopes: readonly string[],
  options: CallOptions = {},
): Promise<VirtualMachineInfo[]> {
  const plans = planScopes(scopes);
  const { signal } = options;
  const perSubscription = await Promise.all(
    plans.map(async (plan) => {
      const what = `listing VMs in subscription ${plan.subscriptionId}`;
      try {
        const vms = (await clients.computeFor(plan.subscriptionId)).virtualMachines;
        const models = plan.whole
          ? drain(vms.listAll({ abortSignal: signal }), signal)
          : Promise.all(
              [...plan.groups.values()].map((group) =>
                drain(vms.list(group, { abortSignal: signal }), signal),
              ),
            ).then((lists) => lists.flat());
        const statuses = drain(vms.listAll({ statusOnly: 'true', abortSignal: signal }), signal);
        const [full, status] = await Promise.all([models, statuses]);
        const powerStates = new Map<string, PowerState>();
        for (const item of status) {
          if (item.id) powerStates.set(normalizeId(item.id), powerStateOf(item.instanceView?.statuses));
        }
        return full.map((vm) => toInfo(vm, powerStates));
      } catch (error) {
        throw toComputeError(error, what);
      }
    }),
  );
  const seen = new Set<string>();
  const result: VirtualMachineInfo[] = [];
  for (const info of perSubscription.flat()) {
    if (!info || seen.has(normalizeId(info.id))) continue;
    seen.add(normalizeId(info.id));
    result.push(info);
  }
  return result;
}
