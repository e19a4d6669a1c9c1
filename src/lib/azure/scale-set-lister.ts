/**
 * Lists the instance names of an Azure virtual machine scale set through `@azure/arm-compute`: the `name` of
 * every VM in the set, which is what a FortiGate reads from IMDS `compute.name` and claims its licence with.
 * The pool sweep uses it to release claims of instances the set no longer lists.
 */
import type { TokenCredential } from '@azure/identity';

/** Lists the instance ids (VM names) that currently exist in a scale set. */
export type ScaleSetLister = (resourceId: string) => Promise<string[]>;

/** Splits `/subscriptions/<s>/resourceGroups/<rg>/providers/Microsoft.Compute/virtualMachineScaleSets/<n>`. */
export function parseScaleSetId(resourceId: string): {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
} {
  const match =
    /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/virtualMachineScaleSets\/([^/]+)\/?$/i.exec(
      resourceId.trim(),
    );
  if (!match) {
    throw new Error(
      'scaleSet.resourceId: expected /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Compute/virtualMachineScaleSets/<name>',
    );
  }
  return { subscriptionId: match[1]!, resourceGroup: match[2]!, name: match[3]! };
}

/** The part of `ComputeManagementClient` the lister uses. */
export interface ScaleSetVmsClient {
  virtualMachineScaleSetVMs: { list(resourceGroup: string, name: string): AsyncIterable<{ name?: string }> };
}

/**
 * A lister over `@azure/arm-compute`. Uses `DefaultAzureCredential` unless a credential is given;
 * `createClient` replaces the SDK client (tests). One SDK client per subscription, made on first use.
 */
export function createAzureScaleSetLister(
  options: {
    credential?: TokenCredential;
    createClient?: (subscriptionId: string) => ScaleSetVmsClient | Promise<ScaleSetVmsClient>;
  } = {},
): ScaleSetLister {
  const clients = new Map<string, Promise<ScaleSetVmsClient>>();
  const create =
    options.createClient ??
    (async (subscriptionId: string): Promise<ScaleSetVmsClient> => {
      const [{ ComputeManagementClient }, identity] = await Promise.all([
        import('@azure/arm-compute'),
        import('@azure/identity'),
      ]);
      return new ComputeManagementClient(
        options.credential ?? new identity.DefaultAzureCredential(),
        subscriptionId,
      );
    });
  return async (resourceId) => {
    const { subscriptionId, resourceGroup, name } = parseScaleSetId(resourceId);
    let client = clients.get(subscriptionId);
    if (!client) {
      client = Promise.resolve(create(subscriptionId));
      clients.set(subscriptionId, client);
    }
    const names: string[] = [];
    for await (const vm of (await client).virtualMachineScaleSetVMs.list(resourceGroup, name)) {
      if (vm.name) names.push(vm.name);
    }
    return names;
  };
}
