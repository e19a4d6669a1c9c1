import { describe, expect, it } from 'vitest';
import {
  normalizeId,
  parseResourceId,
  parseScaleSetId,
  parseScope,
  parseVirtualMachineId,
  sameId,
  scaleSetId,
  virtualMachineId,
} from '../../../src/lib/azure/ids';

const VM = '/subscriptions/sub-1/resourceGroups/RG-One/providers/Microsoft.Compute/virtualMachines/fgt-01';

describe('ARM resource ids', () => {
  it('splits an id into subscription, resource group, namespace and type/name pairs', () => {
    expect(
      parseResourceId(
        `${VM.replace('virtualMachines/fgt-01', 'virtualMachineScaleSets/s/virtualMachines/3')}`,
      ),
    ).toEqual({
      subscriptionId: 'sub-1',
      resourceGroup: 'RG-One',
      namespace: 'Microsoft.Compute',
      types: ['virtualMachineScaleSets', 'virtualMachines'],
      names: ['s', '3'],
    });
  });

  it('compares ids case-insensitively and ignores trailing slashes', () => {
    expect(sameId(VM, `${VM.toUpperCase()}/`)).toBe(true);
    expect(sameId(VM, VM.replace('fgt-01', 'fgt-02'))).toBe(false);
    expect(normalizeId(` ${VM}/ `)).toBe(VM.toLowerCase());
  });

  it('parses VM and scale-set ids whatever their casing, and builds them back', () => {
    const ref = parseVirtualMachineId(VM.toLowerCase().replace('resourcegroups', 'RESOURCEGROUPS'));
    expect(ref).toEqual({ subscriptionId: 'sub-1', resourceGroup: 'rg-one', name: 'fgt-01' });
    expect(sameId(virtualMachineId(ref), VM)).toBe(true);
    const set = parseScaleSetId(
      `/subscriptions/s/resourceGroups/g/providers/microsoft.compute/virtualmachinescalesets/vmss`,
    );
    expect(set).toEqual({ subscriptionId: 's', resourceGroup: 'g', name: 'vmss' });
    expect(scaleSetId(set)).toBe(
      '/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/virtualMachineScaleSets/vmss',
    );
  });

  it('parses scopes: a subscription or a resource group', () => {
    expect(parseScope('/subscriptions/abc')).toEqual({ kind: 'subscription', subscriptionId: 'abc' });
    expect(parseScope('/subscriptions/abc/resourceGroups/rg/')).toEqual({
      kind: 'resourceGroup',
      subscriptionId: 'abc',
      resourceGroup: 'rg',
    });
  });

  it.each([
    ['', 'scope', /^scope: "" is not a valid Azure resource id; expected \/subscriptions\/<id> or /],
    ['subscriptions/abc', 'scope', /^scope: "subscriptions\/abc" is not/],
    ['/tenants/abc', 'scope', /^scope: /],
    ['/subscriptions/abc/resourceGroups', 'scope', /^scope: /],
    ['/subscriptions//resourceGroups/rg', 'scope', /^scope: /],
    [
      VM,
      'scope',
      /^scope: .* expected \/subscriptions\/<id> or \/subscriptions\/<id>\/resourceGroups\/<name>$/,
    ],
  ])('refuses the scope %j with one line naming the field', (value, field, message) => {
    expect(() => parseScope(value, field)).toThrow(message);
  });

  it.each([
    [
      '/subscriptions/s/resourceGroups/g',
      /^vmId: .* expected \/subscriptions\/<id>\/resourceGroups\/<rg>\/providers\/Microsoft\.Compute\/virtualMachines\/<name>$/,
    ],
    ['/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/networkInterfaces/n', /^vmId: /],
    [
      '/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/virtualMachineScaleSets/x/virtualMachines/0',
      /^vmId: /,
    ],
    ['/subscriptions/s/providers/Microsoft.Compute/virtualMachines/x', /^vmId: /],
    ['/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/virtualMachines', /^vmId: /],
  ])('refuses %j as a VM id', (value, message) => {
    expect(() => parseVirtualMachineId(value)).toThrow(message);
  });

  it('names the scale-set field and form in its error', () => {
    expect(() => parseScaleSetId(VM)).toThrow(
      /^scaleSet\.resourceId: .* expected \/subscriptions\/<id>\/resourceGroups\/<rg>\/providers\/Microsoft\.Compute\/virtualMachineScaleSets\/<name>$/,
    );
  });
});
