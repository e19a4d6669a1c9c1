/**
 * VM power states as the instance view reports them (`PowerState/<state>` status codes). A missing or
 * unrecognised code is `unknown` — never "off": `statusOnly` listings may omit the power state in rare cases,
 * and a VM whose state is unknown may well be running and billing.
 */

/** The power states of a VM or scale-set instance. */
export type PowerState =
  'starting' | 'running' | 'stopping' | 'stopped' | 'deallocating' | 'deallocated' | 'unknown';

const KNOWN: ReadonlySet<string> = new Set([
  'starting',
  'running',
  'stopping',
  'stopped',
  'deallocating',
  'deallocated',
]);

/**
 * States Azure bills compute for (Microsoft's "states and billing" page): `stopped` means shut down from
 * inside the guest and still allocated. `unknown` is not listed: callers must not read it as "not billed".
 */
export const BILLED_POWER_STATES: ReadonlySet<PowerState> = new Set([
  'starting',
  'running',
  'stopping',
  'stopped',
]);

/** A status entry of an instance view (the SDK's `InstanceViewStatus`, reduced to what is read here). */
export interface StatusLike {
  code?: string;
}

/** The power state in an instance view's `statuses`, or `unknown` when none is there. */
export function powerStateOf(statuses: readonly StatusLike[] | undefined): PowerState {
  for (const status of statuses ?? []) {
    const code = status.code?.toLowerCase() ?? '';
    if (!code.startsWith('powerstate/')) continue;
    const state = code.slice('powerstate/'.length);
    return KNOWN.has(state) ? (state as PowerState) : 'unknown';
  }
  return 'unknown';
}
