/**
 * The compute adapter: everything the scaler asks of Azure compute, behind the {@link ComputeClient}
 * interface, implemented over the real SDKs (`@azure/arm-compute` 24.1.0, `@azure/arm-network` 36.0.0).
 *
 * - `listVirtualMachines(scopes)`: VMs with tags and power state; 2 paged calls per subscription scope, one
 *   per resource-group scope plus one status listing per subscription (see `vm-listing.ts`).
 * - `getPowerState(vmId)`: one instance-view call.
 * - `runPowerOperation` / `resumePowerOperation`: start and deallocate within a time budget, returning
 *   `inProgress` with a resumable record instead of waiting (see `power-operations.ts`).
 * - `listScaleSetInstances(id)`: Uniform or Flexible instances with power state and primary private IP in 3
 *   paged calls (see `scale-set-listing.ts`).
 *
 * Every failure is a {@link ComputeError} with a one-line message; bad input (a malformed id, a negative
 * budget) throws a plain one-line Error naming the field.
 */
import type {
  CallOptions,
  OperationBudget,
  PendingPowerOperation,
  PowerAction,
  PowerOperationResult,
  ScaleSetListing,
  VirtualMachineInfo,
} from './compute-types';
import { toComputeError } from './errors';
import { parseVirtualMachineId } from './ids';
import { powerStateOf, type PowerState } from './power-state';
import {
  resumePowerOperation,
  runPowerOperation,
  wallClock,
  type AdapterClock,
  type PollSettings,
} from './power-operations';
import { listScaleSetInstances } from './scale-set-listing';
import { SdkClients, type ArmConnectionOptions } from './sdk-clients';
import { listVirtualMachines } from './vm-listing';

export type * from './compute-types';
export { ComputeError, type ComputeErrorCode } from './errors';
export type { PowerState } from './power-state';
export type { AdapterClock } from './power-operations';
export type { ArmConnectionOptions } from './sdk-clients';

/** What the use cases need from Azure compute. */
export interface ComputeClient {
  /** VMs (standalone and Flexible members) in subscription or resource-group scopes, each once. */
  listVirtualMachines(scopes: readonly string[], options?: CallOptions): Promise<VirtualMachineInfo[]>;
  /** One VM's power state from its instance view. */
  getPowerState(vmId: string, options?: CallOptions): Promise<PowerState>;
  /** Sends start or deallocate and follows it for at most `budget.budgetMs`. Never rejects for Azure errors. */
  runPowerOperation(
    vmId: string,
    action: PowerAction,
    budget: OperationBudget,
  ): Promise<PowerOperationResult>;
  /** Follows an operation an earlier call returned as `inProgress`. Never rejects for Azure errors. */
  resumePowerOperation(
    operation: PendingPowerOperation,
    budget: OperationBudget,
  ): Promise<PowerOperationResult>;
  /** A scale set's instances with power state and primary private IP. */
  listScaleSetInstances(scaleSetId: string, options?: CallOptions): Promise<ScaleSetListing>;
}

/** Options of {@link createComputeClient}. */
export interface ComputeClientOptions extends ArmConnectionOptions {
  /** The adapter's clock (default: wall time); tests pass a simulated one. */
  clock?: AdapterClock;
  /** Wait between status polls when Azure sends no Retry-After; default 2000 ms. */
  defaultPollIntervalMs?: number;
}

/** The SDK implementation of {@link ComputeClient}. The SDKs load on the first call. */
export function createComputeClient(options: ComputeClientOptions): ComputeClient {
  const clients = new SdkClients(options);
  const interval = options.defaultPollIntervalMs ?? 2000;
  if (!Number.isFinite(interval) || interval <= 0) {
    throw new Error(`defaultPollIntervalMs: ${interval} is not valid; expected milliseconds > 0`);
  }
  const settings: PollSettings = { clock: options.clock ?? wallClock, defaultPollIntervalMs: interval };
  return {
    listVirtualMachines: (scopes, callOptions) => listVirtualMachines(clients, scopes, callOptions),
    getPowerState: async (vmId, callOptions = {}) => {
      const ref = parseVirtualMachineId(vmId, 'vmId');
      try {
        const compute = await clients.computeFor(ref.subscriptionId);
        const view = await compute.virtualMachines.instanceView(ref.resourceGroup, ref.name, {
          abortSignal: callOptions.signal,
        });
        return powerStateOf(view.statuses);
      } catch (error) {
        throw toComputeError(error, `reading the power state of ${ref.resourceGroup}/${ref.name}`);
      }
    },
    runPowerOperation: (vmId, action, budget) => runPowerOperation(clients, vmId, action, budget, settings),
    resumePowerOperation: (operation, budget) => resumePowerOperation(clients, operation, budget, settings),
    listScaleSetInstances: (scaleSetId, callOptions) =>
      listScaleSetInstances(clients, scaleSetId, callOptions),
  };
}
