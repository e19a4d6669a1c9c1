/**
 * The JSON the simulator answers with, shaped as ARM sends it (properties nested under `properties`, which
 * the SDKs flatten): VMs, `statusOnly` items (id, name and statuses only, no tags), instance views, scale
 * sets, Uniform instances, NICs and operation statuses.
 */
import type { Machine } from './machine';
import type { SimOperation } from './operations';
import type { SimScaleSet } from './world';

type Json = Record<string, unknown>;

/** Instance-view statuses: provisioning, then power (left out when `omitPower`). */
export function statusesOf(machine: Machine, omitPower = false): Json[] {
  const updating = machine.pending !== undefined;
  const statuses: Json[] = [
    {
      code: updating ? 'ProvisioningState/updating' : 'ProvisioningState/succeeded',
      level: 'Info',
      displayStatus: updating ? 'Updating' : 'Provisioning succeeded',
    },
  ];
  if (!omitPower && machine.state !== 'deleted') {
    statuses.push({
      code: `PowerState/${machine.state}`,
      level: 'Info',
      displayStatus: `VM ${machine.state}`,
    });
  }
  return statuses;
}

/** The instance view of a machine. */
export function instanceViewJson(machine: Machine, omitPower = false): Json {
  return {
    computerName: machine.placement.name,
    osName: 'FortiOS',
    statuses: statusesOf(machine, omitPower),
  };
}

const nicRefs = (machine: Machine): Json => ({
  networkInterfaces: [{ id: machine.placement.nic.id, properties: { primary: true } }],
});

/** A VM (standalone or Flexible member), with its instance view when asked. */
export function vmJson(
  machine: Machine,
  options: { instanceView?: boolean; omitPower?: boolean } = {},
): Json {
  const p = machine.placement;
  const properties: Json = {
    vmId: machine.vmId,
    hardwareProfile: { vmSize: 'Standard_F2s_v2' },
    networkProfile: nicRefs(machine),
    provisioningState: machine.pending ? 'Updating' : 'Succeeded',
  };
  if (p.scaleSetId) properties.virtualMachineScaleSet = { id: p.scaleSetId };
  if (options.instanceView) properties.instanceView = instanceViewJson(machine, options.omitPower);
  return {
    id: p.id,
    name: p.name,
    type: 'Microsoft.Compute/virtualMachines',
    location: p.location,
    tags: { ...p.tags },
    properties,
  };
}

/** A `statusOnly=true` list item: no tags, no model, only the statuses. */
export function statusOnlyJson(machine: Machine, omitPower = false): Json {
  return {
    id: machine.placement.id,
    name: machine.placement.name,
    properties: { instanceView: { statuses: statusesOf(machine, omitPower) } },
  };
}

/** A scale set. */
export function scaleSetJson(set: SimScaleSet): Json {
  return {
    id: set.id,
    name: set.name,
    type: 'Microsoft.Compute/virtualMachineScaleSets',
    location: set.location,
    tags: { ...set.tags },
    sku: { name: 'Standard_F2s_v2', tier: 'Standard', capacity: set.members.size },
    properties: { orchestrationMode: set.mode, provisioningState: 'Succeeded', uniqueId: set.uniqueId },
  };
}

/**
 * An item of the scale-set VM list: a full Uniform instance, or for a Flexible set little more than the id
 * (Microsoft points to the VM list with the scale-set filter for those).
 */
export function scaleSetVmJson(
  machine: Machine,
  options: { instanceView?: boolean; omitPower?: boolean },
): Json {
  const p = machine.placement;
  if (p.kind === 'vm') return { id: p.id, name: p.name, type: 'Microsoft.Compute/virtualMachines' };
  const properties: Json = {
    vmId: machine.vmId,
    latestModelApplied: true,
    provisioningState: machine.pending ? 'Updating' : 'Succeeded',
    osProfile: { computerName: `${p.name.replace(/_/g, '')}` },
    networkProfile: nicRefs(machine),
  };
  if (options.instanceView) properties.instanceView = instanceViewJson(machine, options.omitPower);
  return {
    id: p.id,
    name: p.name,
    instanceId: p.instanceId,
    type: 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines',
    location: p.location,
    tags: { ...p.tags },
    properties,
  };
}

/** The NIC of a machine: primary, one primary IP configuration with the private IP. */
export function nicJson(machine: Machine): Json {
  const { nic, location, id } = machine.placement;
  return {
    id: nic.id,
    name: nic.name,
    type: 'Microsoft.Network/networkInterfaces',
    location,
    properties: {
      provisioningState: 'Succeeded',
      primary: true,
      virtualMachine: { id },
      ipConfigurations: [
        {
          id: `${nic.id}/ipConfigurations/ipconfig1`,
          name: 'ipconfig1',
          properties: {
            primary: true,
            privateIPAddress: nic.privateIp,
            privateIPAllocationMethod: 'Dynamic',
            privateIPAddressVersion: 'IPv4',
            provisioningState: 'Succeeded',
          },
        },
      ],
    },
  };
}

/** The body of an `Azure-AsyncOperation` status poll. */
export function operationStatusJson(op: SimOperation, startTime: string, endTime?: string): Json {
  return {
    name: op.id,
    status: op.status,
    startTime,
    ...(endTime !== undefined && { endTime }),
    ...(op.error && { error: op.error }),
  };
}
