/**
 * Start and deallocate as long-running operations that never keep a run waiting past its budget (reference
 * §0.2, §4). The SDK's poller is kept in a variable and driven one step at a time — never awaited, since
 * awaiting it polls until the operation ends. Timing follows Azure, not the SDK: the first poll waits for
 * the 202's Retry-After (the SDK would poll at once and ignore it), later polls wait for the Retry-After of
 * the last status response (the SDK's 2 s default when there is none). A wait that would end past the
 * budget is not started; the call returns `inProgress` with the poller's serialised state, which
 * {@link resumePowerOperation} picks up in a later run. Calls per operation: 1 action + the polls Retry-After
 * asks for + the SDK's final GET on the Location URL.
 */
import type { ComputeManagementClient } from '@azure/arm-compute' with { 'resolution-mode': 'import' };
import type {
  OperationBudget,
  PendingPowerOperation,
  PowerAction,
  PowerOperationResult,
} from './compute-types';
import { ComputeError, retryAfterMsFromHeaders, toComputeError } from './errors';
import { parseVirtualMachineId } from './ids';
import type { SdkClients } from './sdk-clients';

/** Time as the adapter sees it; injectable so tests can run operations on a simulated clock. */
export interface AdapterClock {
  /** Epoch milliseconds. */
  now(): number;
  /** Resolves after `ms`; rejects with an `AbortError` when `signal` aborts. */
  delay(ms: number, signal?: AbortSignal): Promise<void>;
}

const abortError = (): Error =>
  Object.assign(new Error('The operation was aborted.'), { name: 'AbortError' });

/** Wall-clock time and real timers. */
export const wallClock: AdapterClock = {
  now: () => Date.now(),
  delay: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(abortError());
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(abortError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/** Settings of the poll driver. */
export interface PollSettings {
  clock: AdapterClock;
  /** Wait between polls when a status response carries no Retry-After; default 2000 (the SDK's). */
  defaultPollIntervalMs: number;
}

/** The SDK's poller for start and deallocate (a thenable: never await it). */
type Poller = ReturnType<ComputeManagementClient['virtualMachines']['start']>;

/** The budget of one call: a deadline on the adapter's clock and a signal for requests in flight. */
class BudgetSession {
  readonly deadline: number;
  readonly signal: AbortSignal;
  expired = false;
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly unlink: () => void;

  constructor(budget: OperationBudget, clock: AdapterClock) {
    const { budgetMs, signal } = budget;
    if (!Number.isFinite(budgetMs) || budgetMs < 0) {
      throw new Error(`budgetMs: ${budgetMs} is not valid; expected milliseconds >= 0`);
    }
    this.deadline = clock.now() + budgetMs;
    this.signal = this.controller.signal;
    // Real time bounds requests in flight (a hanging poll) even when the adapter's clock is simulated.
    this.timer = setTimeout(() => {
      this.expired = true;
      this.controller.abort();
    }, budgetMs);
    const onAbort = (): void => this.controller.abort();
    if (signal?.aborted) this.controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    this.unlink = () => signal?.removeEventListener('abort', onAbort);
  }

  close(): void {
    clearTimeout(this.timer);
    this.unlink();
  }
}

const isTransportError = (error: unknown): boolean =>
  error instanceof Error && (error.name === 'RestError' || error.name === 'AbortError');

function operationUrl(poller: Poller): string | undefined {
  return (poller.operationState as { config?: { operationLocation?: string } } | undefined)?.config
    ?.operationLocation;
}

interface Context {
  clients: SdkClients;
  settings: PollSettings;
  session: BudgetSession;
  vmId: string;
  action: PowerAction;
  startedAt: string;
  what: string;
}

function finished(poller: Poller, ctx: Context, thrown?: unknown): PowerOperationResult {
  const state = poller.operationState;
  if (state?.status === 'succeeded') return { outcome: 'succeeded' };
  const error = thrown ?? state?.error ?? new Error('Operation was canceled');
  return { outcome: 'failed', error: toComputeError(error, ctx.what) };
}

/** Drives the poller until it ends or the next wait would overrun the budget. */
async function follow(poller: Poller, firstWaitMs: number, ctx: Context): Promise<PowerOperationResult> {
  const { clock, defaultPollIntervalMs } = ctx.settings;
  let wait = firstWaitMs;
  const pending = (serialized: string, error?: ComputeError): PowerOperationResult => ({
    outcome: 'inProgress',
    operation: {
      vmId: ctx.vmId,
      action: ctx.action,
      startedAt: ctx.startedAt,
      nextPollAt: new Date(clock.now() + wait).toISOString(),
      poller: serialized,
    },
    ...(error && { error }),
  });
  for (;;) {
    if (poller.isDone) return finished(poller, ctx);
    // Serialised before each poll: a failed poll request marks the SDK's state failed, the operation is not.
    const serialized = await poller.serialize();
    if (clock.now() + wait > ctx.session.deadline) return pending(serialized);
    try {
      if (wait > 0) await clock.delay(wait, ctx.session.signal);
      await poller.poll({ abortSignal: ctx.session.signal });
    } catch (error) {
      if (!isTransportError(error)) return finished(poller, ctx, error);
      if (error instanceof Error && error.name === 'AbortError') {
        wait = 0;
        return pending(serialized, budgetError(ctx));
      }
      const mapped = toComputeError(error, `polling the ${ctx.what}`);
      if (mapped.code === 'notFound') return { outcome: 'failed', error: mapped };
      wait = (mapped.retryAfterSeconds ?? 0) * 1000 || defaultPollIntervalMs;
      return pending(serialized, mapped);
    }
    const location = operationUrl(poller);
    const hint = location === undefined ? undefined : ctx.clients.hints.take(location);
    wait = hint !== undefined && hint > 0 ? hint : defaultPollIntervalMs;
  }
}

function budgetError(ctx: Context): ComputeError {
  return ctx.session.expired
    ? new ComputeError('timeout', `${ctx.what}: no answer within the budget`)
    : new ComputeError('timeout', `${ctx.what}: aborted by the caller`);
}

function checkAction(action: unknown, field: string): PowerAction {
  if (action !== 'start' && action !== 'deallocate') {
    throw new Error(`${field}: ${JSON.stringify(action)} is not valid; expected "start" or "deallocate"`);
  }
  return action;
}

/** Sends start or deallocate for a VM and follows it within the budget. */
export async function runPowerOperation(
  clients: SdkClients,
  vmId: string,
  action: PowerAction,
  budget: OperationBudget,
  settings: PollSettings,
): Promise<PowerOperationResult> {
  const ref = parseVirtualMachineId(vmId, 'vmId');
  checkAction(action, 'action');
  const session = new BudgetSession(budget, settings.clock);
  const ctx: Context = {
    clients,
    settings,
    session,
    vmId,
    action,
    startedAt: new Date(settings.clock.now()).toISOString(),
    what: `${action} of ${ref.resourceGroup}/${ref.name}`,
  };
  try {
    const compute = await clients.computeFor(ref.subscriptionId);
    let firstWait = 0;
    const poller: Poller = compute.virtualMachines[action](ref.resourceGroup, ref.name, {
      abortSignal: session.signal,
      onResponse: (response) => {
        const hint = retryAfterMsFromHeaders(response.headers);
        if (hint !== undefined) firstWait = hint;
      },
    });
    try {
      await poller.submitted();
    } catch (error) {
      const failure =
        error instanceof Error && error.name === 'AbortError'
          ? new ComputeError(
              'timeout',
              `${ctx.what}: no answer ${session.expired ? 'within the budget' : 'before the caller aborted'}; the request may have reached Azure, re-read the power state`,
            )
          : toComputeError(error, ctx.what);
      return { outcome: 'failed', error: failure };
    }
    return await follow(poller, firstWait, ctx);
  } finally {
    session.close();
  }
}

/** Continues an operation a previous call returned as `inProgress`, within a new budget. */
export async function resumePowerOperation(
  clients: SdkClients,
  pending: PendingPowerOperation,
  budget: OperationBudget,
  settings: PollSettings,
): Promise<PowerOperationResult> {
  const ref = parseVirtualMachineId(pending.vmId, 'operation.vmId');
  const action = checkAction(pending.action, 'operation.action');
  const nextPollAt = Date.parse(pending.nextPollAt);
  if (Number.isNaN(nextPollAt)) {
    throw new Error(
      `operation.nextPollAt: "${pending.nextPollAt}" is not valid; expected an ISO 8601 instant`,
    );
  }
  const session = new BudgetSession(budget, settings.clock);
  const ctx: Context = {
    clients,
    settings,
    session,
    vmId: pending.vmId,
    action,
    startedAt: pending.startedAt,
    what: `${action} of ${ref.resourceGroup}/${ref.name}`,
  };
  try {
    const [compute, { restorePoller }] = await Promise.all([
      clients.computeFor(ref.subscriptionId),
      import('@azure/arm-compute'),
    ]);
    let poller: Poller;
    try {
      poller = restorePoller(compute, pending.poller, compute.virtualMachines[action], {
        abortSignal: session.signal,
      });
    } catch {
      throw new Error('operation.poller: not a serialised poller state of a start or deallocate operation');
    }
    return await follow(poller, Math.max(0, nextPollAt - settings.clock.now()), ctx);
  } finally {
    session.close();
  }
}
