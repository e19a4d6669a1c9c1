/**
 * A scale set's instances with power state and primary private IP, in a bounded number of paged calls per
 * sync whatever the set's size: the set itself (its orchestration mode), the instances with
 * their instance view, and the NICs. Uniform: `virtualMachineScaleSetVMs.list(expand instanceView)` and the
 * set's NIC list (NICs name their instance in `virtualMachine.id`). Flexible: `virtualMachines.list` with the
 * scale-set filter and instance view (the documented combination) and the resource group's NIC list, joined
 * through each VM's primary NIC reference.
 */
import type { NetworkInterface } from '@azure/arm-network' with { 'resolution-mode': 'import' };
import type { CallOptions, ScaleSetInstance, ScaleSetListing } from './compute-types';
import { toComputeError } from './errors';
import { normalizeId, parseScaleSetId } from './ids';
import { powerStateOf } from './power-state';
import { drain, type SdkClients } from './sdk-clients';

/** The private IP of a NIC's primary IP configuration (the first one when none is marked primary). */
export function primaryPrivateIp(nic: NetworkInterface): string | undefined {
  const configs = nic.ipConfigurations ?? [];
  const config = configs.find((c) => c.primary === true) ?? configs[0];
  return config?.privateIPAddress ?? undefined;
}

/** Primary private IP per owning VM id (lower-cased): the NIC marked primary wins over others. */
function ipsByOwner(nics: readonly NetworkInterface[]): Map<string, string> {
  const chosen = new Map<string, { primary: boolean; ip: string }>();
  for (const nic of nics) {
    const owner = nic.virtualMachine?.id;
    const ip = primaryPrivateIp(nic);
    if (!owner || !ip) continue;
    const key = normalizeId(owner);
    const current = chosen.get(key);
    if (!current || (!current.primary && nic.primary === true))
      chosen.set(key, { primary: nic.primary === true, ip });
  }
  return new Map([...chosen].map(([key, { ip }]) => [key, ip]));
}

/** Lists a scale set's instances; throws a {@link ComputeError} naming the set on failure. */
export async function listScaleSetInstances(
  clients: SdkClients,
  scaleSetId: string,
  options: CallOptions = {},
): Promise<ScaleSetListing> {
  const ref = parseScaleSetId(scaleSetId, 'scaleSetId');
  const { signal } = options;
  try {
    const [compute, network] = await Promise.all([
      clients.computeFor(ref.subscriptionId),
      clients.networkFor(ref.subscriptionId),
    ]);
    const set = await compute.virtualMachineScaleSets.get(ref.resourceGroup, ref.name, {
      abortSignal: signal,
    });
    const id = set.id ?? scaleSetId;
    if (set.orchestrationMode === 'Flexible') {
      const filter = `'virtualMachineScaleSet/id' eq '${id}'`;
      const [vms, nics] = await Promise.all([
        drain(
          compute.virtualMachines.list(ref.resourceGroup, {
            filter,
            expand: 'instanceView',
            abortSignal: signal,
          }),
          signal,
        ),
        drain(network.networkInterfaces.list(ref.resourceGroup, { abortSignal: signal }), signal),
      ]);
      const nicById = new Map(nics.filter((n) => n.id).map((n) => [normalizeId(n.id!), n]));
      const byOwner = ipsByOwner(nics);
      const instances = vms
        .filter((vm) => vm.id)
        .map((vm): ScaleSetInstance => {
          const refs = vm.networkProfile?.networkInterfaces ?? [];
          const primary = refs.find((r) => r.primary === true) ?? refs[0];
          const nic = primary?.id ? nicById.get(normalizeId(primary.id)) : undefined;
          const privateIp = (nic && primaryPrivateIp(nic)) ?? byOwner.get(normalizeId(vm.id!));
          return {
            id: vm.id!,
            name: vm.name ?? '',
            powerState: powerStateOf(vm.instanceView?.statuses),
            ...(privateIp !== undefined && { privateIp }),
            tags: { ...(vm.tags ?? {}) },
          };
        });
      return { id, name: set.name ?? ref.name, mode: 'Flexible', instances };
    }
    const [vms, nics] = await Promise.all([
      drain(
        compute.virtualMachineScaleSetVMs.list(ref.resourceGroup, ref.name, {
          expand: 'instanceView',
          abortSignal: signal,
        }),
        signal,
      ),
      drain(
        network.networkInterfaces.listVirtualMachineScaleSetNetworkInterfaces(ref.resourceGroup, ref.name, {
          abortSignal: signal,
        }),
        signal,
      ),
    ]);
    const byOwner = ipsByOwner(nics);
    const instances = vms
      .filter((vm) => vm.id)
      .map((vm): ScaleSetInstance => {
        const privateIp = byOwner.get(normalizeId(vm.id!));
        return {
          id: vm.id!,
          name: vm.name ?? '',
          ...(vm.instanceId !== undefined && { instanceId: vm.instanceId }),
          powerState: powerStateOf(vm.instanceView?.statuses),
          ...(privateIp !== undefined && { privateIp }),
          tags: {},
        };
      });
    return { id, name: set.name ?? ref.name, mode: 'Uniform', instances };
  } catch (error) {
    throw toComputeError(error, `listing instances of scale set ${ref.resourceGroup}/${ref.name}`);
  }
}
