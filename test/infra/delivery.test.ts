/**
 * Infrastructure of licence delivery: the Event Grid subscription reaches the function the code registers,
 * the Flex Consumption subnet is delegated as Flex requires, the instance-reader role only reads, the
 * FortiOS API key secret is the one the policy names by default, and every delivery module is wired.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validatePolicy } from '../../src/lib/rules';
import { ROOT, secureParams, stripComments } from './support/bicep';

const read = (file: string): string => stripComments(fs.readFileSync(path.join(ROOT, file), 'utf8'));

describe('licence delivery infrastructure', () => {
  it("subscribes the function the code registers to the scale sets' resource-group events", () => {
    const delivery = read('infra/modules/delivery.bicep');
    const registered = /app\.eventGrid\('(\w+)'/.exec(read('src/functions/scale-set-events.ts'))?.[1];
    expect(registered).toBe('scaleSetEvents');
    expect(delivery).toMatch(/topicType:\s*'Microsoft\.Resources\.ResourceGroups'/);
    expect(delivery).toMatch(/source:\s*resourceGroup\(\)\.id/);
    expect(delivery).toMatch(/location:\s*'global'/);
    expect(delivery).toMatch(/endpointType:\s*'AzureFunction'/);
    expect(delivery).toContain(`/functions/${registered}'`);
    for (const type of ['ResourceWriteSuccess', 'ResourceDeleteSuccess'])
      expect(delivery).toContain(`'Microsoft.Resources.${type}'`);
  });

  it('wires Reader per scale set, instance read and events per resource group, and the subnet, from main.bicep', () => {
    const main = read('infra/main.bicep');
    expect(main).toMatch(/param scaleSetResourceIds array = \[\]/);
    expect(main).toMatch(
      /module scaleSetReaders '\.\/modules\/scale-set-reader\.bicep' = \[\s*for \(scaleSetId, i\) in scaleSetResourceIds/,
    );
    expect(main).toMatch(/module delivery '\.\/modules\/delivery\.bicep' = \[\s*for group in scaleSetGroups/);
    expect(main).toMatch(/scaleSetGroups = union\(/);
    expect(main).toMatch(/virtualNetworkSubnetId:/);
    expect(read('infra/modules/api.bicep')).toMatch(
      /virtualNetworkSubnetId:\s*!empty\(virtualNetworkSubnetId\) \? virtualNetworkSubnetId : null/,
    );
  });

  it('delegates the app subnet to Microsoft.App/environments, as Flex Consumption requires', () => {
    expect(read('infra/modules/app-subnet.bicep')).toMatch(/serviceName:\s*'Microsoft\.App\/environments'/);
  });

  it('gives the instance-reader role read actions only', () => {
    const role = read('infra/modules/instance-reader-role.bicep');
    const block = /actions:\s*\[([^\]]*)\]/.exec(role)?.[1] ?? '';
    const actions = [...block.matchAll(/'([^']+)'/g)].map((m) => m[1]!);
    expect(actions.sort()).toEqual([
      'Microsoft.Compute/virtualMachines/instanceView/read',
      'Microsoft.Compute/virtualMachines/read',
      'Microsoft.Network/networkInterfaces/read',
    ]);
    expect(role).toMatch(/assignableScopes:\s*\[\s*subscription\(\)\.id\s*\]/);
  });

  it('stores the FortiOS API key under the secret name the policy uses by default, from a secure parameter', () => {
    const main = read('infra/main.bicep');
    const name = /param fortigateApiKeySecretName string = '([^']+)'/.exec(main)?.[1];
    const policy = validatePolicy({
      fortiflex: { accountId: 1, programSerialNumber: 'ELAVMR0000000519' },
      pools: [
        {
          name: 'p',
          configId: 1,
          capacity: [{ min: 0, max: 1 }],
          scaleSet: {
            resourceId:
              '/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/virtualMachineScaleSets/v',
          },
          fortigate: {},
        },
      ],
    });
    expect(name).toBe(policy.pools[0]!.fortigate!.apiKeySecret);
    expect(secureParams(fs.readFileSync(path.join(ROOT, 'infra/main.bicep'), 'utf8'))).toContain(
      'fortigateApiKey',
    );
    expect(
      secureParams(fs.readFileSync(path.join(ROOT, 'infra/modules/fortigate-secret.bicep'), 'utf8')),
    ).toEqual(['apiKey']);
  });
});
