/**
 * The simulated Azure inventory: subscriptions and resource groups (implied by what the seed puts in them),
 * standalone VMs, scale sets in Uniform and Flexible mode with their instances, and one primary NIC with a
 * private IP per machine. Standalone VMs take IPs from 10.0.0.0/16, scale set number n from 10.(10+n).0.0/16.
 * Scale sets grow and shrink at run time so scale-out can be tested.
 */
import type { SimClock } from '../clock';
import { ArmError, resourceNotFound } from './errors';
import { Machine, stableGuid } from './machine';
import type { ArmSeed, SeedScaleSet, SeedScaleSetInstance, SeedVirtualMachine, SimPowerState } from './types';

/** A simulated scale set. */
export interface SimScaleSet {
  id: string;
  key: string;
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location: string;
  mode: 'Uniform' | 'Flexible';
  tags: Record<string, string>;
  uniqueId: string;
  /** Current members by key, in creation order. */
  members: Map<string, Machine>;
  nextOrdinal: number;
  ipPrefix: string;
  nextIp: number;
}

const DEFAULT_LOCATION = 'westeurope';
const rgPath = (sub: string, rg: string): string => `/subscriptions/${sub}/resourceGroups/${rg}`;
const groupKey = (sub: string, rg: string): string => `${sub}/${rg}`.toLowerCase();
const ipOf = (prefix: string, n: number): string => `${prefix}.${Math.floor(n / 250)}.${4 + (n % 250)}`;

/** The inventory of one ARM simulator. */
export class ArmWorld {
  readonly machines = new Map<string, Machine>();
  readonly scaleSets = new Map<string, SimScaleSet>();
  /** Removed scale-set instances, kept for their ledgers. */
  private readonly removed = new Map<string, Machine>();
  private readonly subscriptions = new Set<string>();
  private readonly groups = new Set<string>();
  private nextStandaloneIp = 0;

  constructor(
    seed: ArmSeed,
    private readonly clock: SimClock,
  ) {
    (seed.virtualMachines ?? []).forEach((vm, i) => this.addVirtualMachine(vm, `seed.virtualMachines[${i}]`));
    (seed.scaleSets ?? []).forEach((set, i) => this.addScaleSet(set, `seed.scaleSets[${i}]`));
  }

  private register(sub: string, rg: string): void {
    this.subscriptions.add(sub.toLowerCase());
    this.groups.add(groupKey(sub, rg));
  }

  private addMachine(machine: Machine, field: string): Machine {
    if (this.machines.has(machine.key)) {
      throw new Error(
        `${field}.name: ${machine.placement.name} appears twice in its resource group; expected unique names`,
      );
    }
    this.machines.set(machine.key, machine);
    return machine;
  }

  private addVirtualMachine(vm: SeedVirtualMachine, field: string): void {
    this.register(vm.subscriptionId, vm.resourceGroup);
    const base = rgPath(vm.subscriptionId, vm.resourceGroup);
    this.addMachine(
      new Machine(
        {
          kind: 'vm',
          id: `${base}/providers/Microsoft.Compute/virtualMachines/${vm.name}`,
          name: vm.name,
          subscriptionId: vm.subscriptionId,
          resourceGroup: vm.resourceGroup,
          location: vm.location ?? DEFAULT_LOCATION,
          tags: { ...(vm.tags ?? {}) },
          nic: {
            id: `${base}/providers/Microsoft.Network/networkInterfaces/${vm.name}-nic`,
            name: `${vm.name}-nic`,
            privateIp: vm.privateIp ?? ipOf('10.0', this.nextStandaloneIp++),
          },
        },
        vm.powerState ?? 'running',
        this.clock.nowMs(),
      ),
      field,
    );
  }

  private addScaleSet(seed: SeedScaleSet, field: string): void {
    this.register(seed.subscriptionId, seed.resourceGroup);
    const id = `${rgPath(seed.subscriptionId, seed.resourceGroup)}/providers/Microsoft.Compute/virtualMachineScaleSets/${seed.name}`;
    if (this.scaleSets.has(id.toLowerCase())) {
      throw new Error(
        `${field}.name: scale set ${seed.name} appears twice in its resource group; expected unique names`,
      );
    }
    const set: SimScaleSet = {
      id,
      key: id.toLowerCase(),
      subscriptionId: seed.subscriptionId,
      resourceGroup: seed.resourceGroup,
      name: seed.name,
      location: seed.location ?? DEFAULT_LOCATION,
      mode: seed.mode,
      tags: { ...(seed.tags ?? {}) },
      uniqueId: stableGuid(id.toLowerCase()),
      members: new Map(),
      nextOrdinal: 0,
      ipPrefix: `10.${10 + this.scaleSets.size}`,
      nextIp: 0,
    };
    this.scaleSets.set(set.key, set);
    this.addInstances(set, seed.instances ?? [], field);
  }

  /** Adds instances to a scale set (scale-out); returns the new machines. */
  addInstances(set: SimScaleSet, specs: readonly SeedScaleSetInstance[], field = 'addInstances'): Machine[] {
    return specs.map((spec) => {
      const ordinal = set.nextOrdinal++;
      const privateIp = spec.privateIp ?? ipOf(set.ipPrefix, set.nextIp++);
      const state: SimPowerState = spec.powerState ?? 'running';
      const common = {
        subscriptionId: set.subscriptionId,
        resourceGroup: set.resourceGroup,
        location: set.location,
        scaleSetId: set.id,
      };
      let machine: Machine;
      if (set.mode === 'Uniform') {
        const id = `${set.id}/virtualMachines/${ordinal}`;
        machine = new Machine(
          {
            ...common,
            kind: 'uniformInstance',
            id,
            name: `${set.name}_${ordinal}`,
            instanceId: String(ordinal),
            tags: { ...set.tags },
            nic: { id: `${id}/networkInterfaces/${set.name}-nic`, name: `${set.name}-nic`, privateIp },
          },
          state,
          this.clock.nowMs(),
        );
      } else {
        // Flexible members are ordinary VMs named <set>_<8 hex>, like Azure's generated names.
        const name = `${set.name}_${stableGuid(`${set.key}#${ordinal}`).slice(0, 8)}`;
        const base = rgPath(set.subscriptionId, set.resourceGroup);
        machine = new Machine(
          {
            ...common,
            kind: 'vm',
            id: `${base}/providers/Microsoft.Compute/virtualMachines/${name}`,
            name,
            tags: { ...(spec.tags ?? {}) },
            nic: {
              id: `${base}/providers/Microsoft.Network/networkInterfaces/${name}-nic`,
              name: `${name}-nic`,
              privateIp,
            },
          },
          state,
          this.clock.nowMs(),
        );
      }
      this.addMachine(machine, field);
      set.members.set(machine.key, machine);
      return machine;
    });
  }

  /** Removes an instance from its scale set (scale-in): it stops billing and disappears from every list. */
  removeInstance(set: SimScaleSet, machine: Machine): void {
    if (!set.members.delete(machine.key)) {
      throw new Error(
        `removeInstances: ${machine.placement.name} is not an instance of scale set ${set.name}`,
      );
    }
    machine.setState('deleted', this.clock.nowMs());
    this.machines.delete(machine.key);
    this.removed.set(machine.key, machine);
  }

  /** Throws ARM's 404 when the subscription or resource group does not exist. */
  checkScope(subscriptionId: string, resourceGroup?: string): void {
    if (!this.subscriptions.has(subscriptionId.toLowerCase())) {
      throw new ArmError(
        404,
        'SubscriptionNotFound',
        `The subscription '${subscriptionId}' could not be found.`,
      );
    }
    if (resourceGroup !== undefined && !this.groups.has(groupKey(subscriptionId, resourceGroup))) {
      throw new ArmError(
        404,
        'ResourceGroupNotFound',
        `Resource group '${resourceGroup}' could not be found.`,
      );
    }
  }

  /** VMs (standalone and Flexible members) of a subscription or resource group, in creation order. */
  vms(subscriptionId: string, resourceGroup?: string): Machine[] {
    this.checkScope(subscriptionId, resourceGroup);
    const prefix = (
      resourceGroup === undefined
        ? `/subscriptions/${subscriptionId}/`
        : `${rgPath(subscriptionId, resourceGroup)}/`
    ).toLowerCase();
    return [...this.machines.values()].filter((m) => m.placement.kind === 'vm' && m.key.startsWith(prefix));
  }

  /** One VM; 404 when absent. */
  vm(subscriptionId: string, resourceGroup: string, name: string): Machine {
    this.checkScope(subscriptionId, resourceGroup);
    const id = `${rgPath(subscriptionId, resourceGroup)}/providers/Microsoft.Compute/virtualMachines/${name}`;
    const machine = this.machines.get(id.toLowerCase());
    if (!machine) throw resourceNotFound('Microsoft.Compute/virtualMachines', name, resourceGroup);
    return machine;
  }

  /** One scale set; 404 when absent. */
  scaleSet(subscriptionId: string, resourceGroup: string, name: string): SimScaleSet {
    this.checkScope(subscriptionId, resourceGroup);
    const id = `${rgPath(subscriptionId, resourceGroup)}/providers/Microsoft.Compute/virtualMachineScaleSets/${name}`;
    const set = this.scaleSets.get(id.toLowerCase());
    if (!set) throw resourceNotFound('Microsoft.Compute/virtualMachineScaleSets', name, resourceGroup);
    return set;
  }

  /**
   * A machine by ARM id or by a name unique across the world (test helpers); one-line error otherwise.
   * `withRemoved` also finds removed scale-set instances (their ledgers outlive them).
   */
  resolve(ref: string, withRemoved = false): Machine {
    const pool = withRemoved
      ? [...this.machines.values(), ...this.removed.values()]
      : [...this.machines.values()];
    const byId = pool.find((m) => m.key === ref.trim().toLowerCase());
    if (byId) return byId;
    const named = pool.filter((m) => m.placement.name.toLowerCase() === ref.trim().toLowerCase());
    if (named.length === 1) return named[0]!;
    throw new Error(
      named.length === 0
        ? `machine: no VM or instance named or with id "${ref}"`
        : `machine: "${ref}" names ${named.length} machines; pass the ARM id`,
    );
  }

  /** A scale set by ARM id or by a unique name; one-line error otherwise. */
  resolveScaleSet(ref: string): SimScaleSet {
    const byId = this.scaleSets.get(ref.trim().toLowerCase());
    if (byId) return byId;
    const named = [...this.scaleSets.values()].filter(
      (s) => s.name.toLowerCase() === ref.trim().toLowerCase(),
    );
    if (named.length === 1) return named[0]!;
    throw new Error(
      named.length === 0
        ? `scaleSet: no scale set named or with id "${ref}"`
        : `scaleSet: "${ref}" is ambiguous; pass the ARM id`,
    );
  }
}
