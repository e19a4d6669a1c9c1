/**
 * The compute adapter's listings through the real SDKs against the ARM simulator over HTTPS: VMs in scopes
 * with tags and power state in the fewest calls, paging, scale-set instances with private IPs, errors.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createComputeClient } from '../../../src/lib/azure/compute';
import type { ComputeError } from '../../../src/lib/azure/errors';
import { sameId } from '../../../src/lib/azure/ids';
import type { ArmFaultRule, ArmSimulatorHandle } from '../../../src/simulator/arm';
import {
  adapterFor,
  operationsLogged,
  OTHER_SUB,
  scaleSetIdOf,
  startArm,
  SUB,
  vmIdOf,
} from '../../support/arm';

let arm: ArmSimulatorHandle | undefined;
afterEach(async () => {
  await arm?.stop();
  arm = undefined;
});

const byName = <T extends { name: string }>(items: readonly T[]): Record<string, T> =>
  Object.fromEntries(items.map((item) => [item.name, item]));

describe('listing VMs', () => {
  it('lists a subscription with tags and power state in 2 calls: the full list and the status list', async () => {
    arm = await startArm();
    const vms = await adapterFor(arm).listVirtualMachines([`/subscriptions/${SUB}`]);
    expect(operationsLogged(arm).sort()).toEqual(['vm.listAll', 'vm.listAllStatus']);
    const named = byName(vms);
    // 5 standalone VMs and the 2 Flexible members; Uniform instances are not VMs.
    expect(Object.keys(named).sort()).toEqual(
      [
        'fgt-a1',
        'fgt-a2',
        'fgt-b1',
        'fgt-b2',
        'jump-a3',
        ...arm
          .machines()
          .filter((m) => m.scaleSetId?.endsWith('vmss-f'))
          .map((m) => m.name),
      ].sort(),
    );
    expect(named['fgt-a1']).toEqual({
      id: vmIdOf('fgt-a1'),
      name: 'fgt-a1',
      subscriptionId: SUB,
      resourceGroup: 'rg-a',
      location: 'westeurope',
      tags: { 'fortiflex-serial': 'FGVM0001' },
      powerState: 'running',
    });
    expect(named['fgt-a2']!.powerState).toBe('deallocated');
    expect(named['jump-a3']).toMatchObject({ powerState: 'stopped', tags: {} });
    const flex = vms.filter((vm) => vm.scaleSetId !== undefined);
    expect(flex).toHaveLength(2);
    expect(flex.every((vm) => sameId(vm.scaleSetId!, scaleSetIdOf('vmss-f')))).toBe(true);
    expect(flex.map((vm) => vm.powerState).sort()).toEqual(['running', 'stopped']);
  });

  it('lists resource groups with one list per group plus one status list shared by the subscription', async () => {
    arm = await startArm();
    const vms = await adapterFor(arm).listVirtualMachines([
      `/subscriptions/${SUB}/resourceGroups/rg-a`,
      `/subscriptions/${SUB}/resourceGroups/RG-B`,
      `/subscriptions/${SUB}/resourceGroups/rg-a/`,
    ]);
    expect(operationsLogged(arm).sort()).toEqual(['vm.list', 'vm.list', 'vm.listAllStatus']);
    expect(vms.map((vm) => `${vm.name}:${vm.powerState}`).sort()).toEqual([
      'fgt-a1:running',
      'fgt-a2:deallocated',
      'fgt-b1:running',
      'fgt-b2:deallocated',
      'jump-a3:stopped',
    ]);
  });

  it('lets a subscription scope cover its resource groups, and lists each subscription on its own', async () => {
    arm = await startArm();
    const vms = await adapterFor(arm).listVirtualMachines([
      `/subscriptions/${SUB}/resourceGroups/rg-a`,
      `/subscriptions/${SUB}`,
      `/subscriptions/${OTHER_SUB}/resourceGroups/rg-z`,
    ]);
    expect(operationsLogged(arm).sort()).toEqual([
      'vm.list',
      'vm.listAll',
      'vm.listAllStatus',
      'vm.listAllStatus',
    ]);
    expect(new Set(vms.map((vm) => vm.id.toLowerCase())).size).toBe(vms.length);
    expect(vms.find((vm) => vm.name === 'fgt-z1')).toMatchObject({
      subscriptionId: OTHER_SUB,
      powerState: 'running',
    });
  });

  it('follows nextLink pages: N VMs at page size p take 2 × ceil(N / p) calls', async () => {
    const virtualMachines = Array.from({ length: 23 }, (_, i) => ({
      subscriptionId: SUB,
      resourceGroup: 'rg-many',
      name: `vm-${i}`,
      tags: { n: String(i) },
      powerState: i % 2 === 0 ? ('running' as const) : ('deallocated' as const),
    }));
    arm = await startArm({ pageSize: 5 }, { virtualMachines });
    const vms = await adapterFor(arm).listVirtualMachines([`/subscriptions/${SUB}`]);
    expect(vms).toHaveLength(23);
    expect(
      vms.every((vm) => vm.powerState === (Number(vm.tags.n) % 2 === 0 ? 'running' : 'deallocated')),
    ).toBe(true);
    const log = arm.requests();
    expect(log).toHaveLength(10);
    // Next pages are absolute URLs on the simulator's own origin, carrying the original query.
    expect(
      log.filter((r) => r.query.includes('skiptoken') && r.query.includes('statusOnly=true')),
    ).toHaveLength(4);
  });

  it('reports a VM whose power state the status list leaves out as unknown, never as off', async () => {
    arm = await startArm();
    arm.faults.add({ operation: 'vm.listAllStatus', target: 'fgt-a2', fault: { kind: 'omitPowerState' } });
    const named = byName(
      await adapterFor(arm).listVirtualMachines([`/subscriptions/${SUB}/resourceGroups/rg-a`]),
    );
    expect(named['fgt-a2']!.powerState).toBe('unknown');
    expect(named['fgt-a1']!.powerState).toBe('running');
  });

  it('reads one VM power state with one instance-view call, including manual changes', async () => {
    arm = await startArm();
    const compute = adapterFor(arm);
    expect(await compute.getPowerState(vmIdOf('fgt-a2'))).toBe('deallocated');
    arm.setPowerState('fgt-a2', 'running');
    expect(await compute.getPowerState(vmIdOf('FGT-A2', 'RG-A'))).toBe('running');
    arm.guestShutdown('fgt-a2');
    expect(await compute.getPowerState(vmIdOf('fgt-a2'))).toBe('stopped');
    expect(operationsLogged(arm)).toEqual(['vm.instanceView', 'vm.instanceView', 'vm.instanceView']);
  });

  it.each([
    [
      { operation: 'vm.listAll', fault: { kind: 'http', status: 403, code: 'AuthorizationFailed' } },
      'forbidden',
      403,
    ],
    [
      { operation: 'vm.listAllStatus', fault: { kind: 'throttle', retryAfterSeconds: 1200 } },
      'throttled',
      429,
    ],
    [{ operation: 'vm.listAll', fault: { kind: 'serverError' } }, 'unavailable', 500],
  ] as const)(
    'fails with a typed error at once for %j (no pipeline sleep or retry)',
    async (rule, code, status) => {
      arm = await startArm();
      arm.faults.add(rule as ArmFaultRule);
      const error = (await adapterFor(arm)
        .listVirtualMachines([`/subscriptions/${SUB}`])
        .catch((e: unknown) => e)) as ComputeError;
      expect(error.name).toBe('ComputeError');
      expect(error.code).toBe(code);
      expect(error.statusCode).toBe(status);
      expect(error.message).toMatch(new RegExp(`^listing VMs in subscription ${SUB}: HTTP ${status}`));
      if (code === 'throttled') expect(error.retryAfterSeconds).toBe(1200);
      expect(arm.requests({ operation: rule.operation })).toHaveLength(1);
    },
  );

  it('maps an unknown resource group to notFound and a refused token to unauthorized', async () => {
    arm = await startArm();
    const missing = (await adapterFor(arm)
      .listVirtualMachines([`/subscriptions/${SUB}/resourceGroups/nope`])
      .catch((e: unknown) => e)) as ComputeError;
    expect(missing.code).toBe('notFound');
    expect(missing.azureCode).toBe('ResourceGroupNotFound');
    const refused = (await adapterFor(arm, { token: 'wrong-token' })
      .getPowerState(vmIdOf('fgt-a1'))
      .catch((e: unknown) => e)) as ComputeError;
    expect(refused.code).toBe('unauthorized');
    expect(refused.message).not.toContain('wrong-token');
  });

  it('refuses the simulator without its CA: a TLS error naming the fix', async () => {
    arm = await startArm();
    const error = (await adapterFor(arm, { trust: false })
      .getPowerState(vmIdOf('fgt-a1'))
      .catch((e: unknown) => e)) as ComputeError;
    expect(error.code).toBe('unavailable');
    expect(error.message).toMatch(/TLS certificate not trusted .*NODE_EXTRA_CA_CERTS/);
    expect(arm.requests()).toHaveLength(0);
  });

  it('gives up with a timeout error when the caller aborts', async () => {
    arm = await startArm();
    arm.faults.add({ operation: 'vm.listAll', fault: { kind: 'hang' } });
    const error = (await adapterFor(arm)
      .listVirtualMachines([`/subscriptions/${SUB}`], { signal: AbortSignal.timeout(300) })
      .catch((e: unknown) => e)) as ComputeError;
    expect(error.code).toBe('timeout');
  });

  it('throws a one-line error for a malformed scope before calling Azure', async () => {
    arm = await startArm();
    await expect(adapterFor(arm).listVirtualMachines(['/subscriptions/x', 'rg-a'])).rejects.toThrow(
      /^scopes\[1\]: "rg-a" is not a valid Azure resource id/,
    );
    expect(arm.requests()).toHaveLength(0);
  });
});

describe('credentials', () => {
  it('asks for the ARM token scope from both SDK clients, whatever the endpoint', async () => {
    arm = await startArm();
    const scopes: string[][] = [];
    const token = arm.token;
    const compute = createComputeClient({
      endpoint: arm.endpoint,
      tlsCa: arm.caCertificate,
      credential: {
        getToken: async (requested) => {
          scopes.push([requested].flat());
          return { token, expiresOnTimestamp: Date.now() + 3600_000 };
        },
      },
    });
    await compute.listScaleSetInstances(scaleSetIdOf('vmss-u'));
    expect(scopes.length).toBeGreaterThanOrEqual(2);
    expect(new Set(scopes.map((s) => s.join(' ')))).toEqual(
      new Set(['https://management.azure.com/.default']),
    );
  });
});

describe('listing scale-set instances', () => {
  it('lists a Uniform set with power state and primary private IP in 3 calls', async () => {
    arm = await startArm();
    const listing = await adapterFor(arm).listScaleSetInstances(scaleSetIdOf('vmss-u'));
    expect(operationsLogged(arm).sort()).toEqual(['vmss.get', 'vmss.nics', 'vmss.vms']);
    expect(listing.mode).toBe('Uniform');
    expect(listing.instances).toEqual(
      arm
        .machines()
        .filter((m) => m.kind === 'uniformInstance')
        .map((m) => ({
          id: m.id,
          name: m.name,
          instanceId: m.instanceId,
          powerState: m.powerState,
          privateIp: m.privateIp,
          tags: {},
        })),
    );
    expect(listing.instances.map((i) => `${i.name}:${i.powerState}:${i.privateIp}`)).toEqual([
      'vmss-u_0:running:10.10.0.4',
      'vmss-u_1:deallocated:10.10.0.5',
      'vmss-u_2:running:10.10.0.6',
    ]);
  });

  it('lists a Flexible set through the filtered VM list and the resource group NICs in 3 calls', async () => {
    arm = await startArm();
    const listing = await adapterFor(arm).listScaleSetInstances(scaleSetIdOf('vmss-f'));
    expect(operationsLogged(arm).sort()).toEqual(['nic.list', 'vm.list', 'vmss.get']);
    expect(arm.requests({ operation: 'vm.list' })[0]!.query).toMatch(/expand=instanceView/);
    expect(listing.mode).toBe('Flexible');
    const members = arm.machines().filter((m) => m.scaleSetId?.endsWith('/vmss-f'));
    expect(listing.instances).toEqual(
      members.map((m) => ({
        id: m.id,
        name: m.name,
        powerState: m.powerState,
        privateIp: m.privateIp,
        tags: m.tags,
      })),
    );
    expect(listing.instances.map((i) => i.powerState)).toEqual(['running', 'stopped']);
    expect(listing.instances[0]!.tags).toEqual({ role: 'fgt' });
  });

  it('sees scale-out and scale-in, paging through large sets in a bounded number of calls', async () => {
    arm = await startArm({ pageSize: 4 });
    const compute = adapterFor(arm);
    const added = arm.addInstances('vmss-u', 7);
    arm.removeInstances('vmss-u', ['vmss-u_1']);
    const listing = await compute.listScaleSetInstances(scaleSetIdOf('vmss-u'));
    expect(listing.instances.map((i) => i.instanceId)).toEqual(['0', '2', '3', '4', '5', '6', '7', '8', '9']);
    const ips = new Set(listing.instances.map((i) => i.privateIp));
    expect(ips.size).toBe(9);
    expect(listing.instances.find((i) => i.name === added[6]!.name)?.privateIp).toBe(added[6]!.privateIp);
    // 9 instances at 4 per page: 1 get + 3 instance pages + 3 NIC pages, never one call per instance.
    expect(arm.requests()).toHaveLength(7);

    arm.clearRequests();
    arm.addInstances('vmss-f', 3, { powerState: 'deallocated' });
    const flex = await compute.listScaleSetInstances(scaleSetIdOf('vmss-f'));
    expect(flex.instances).toHaveLength(5);
    expect(flex.instances.filter((i) => i.powerState === 'deallocated')).toHaveLength(3);
    expect(flex.instances.every((i) => i.privateIp?.startsWith('10.11.'))).toBe(true);
  });

  it('maps a missing scale set to notFound naming the set', async () => {
    arm = await startArm();
    const error = (await adapterFor(arm)
      .listScaleSetInstances(scaleSetIdOf('vmss-missing'))
      .catch((e: unknown) => e)) as ComputeError;
    expect(error.code).toBe('notFound');
    expect(error.message).toMatch(
      /^listing instances of scale set rg-pools\/vmss-missing: HTTP 404 ResourceNotFound/,
    );
  });
});
