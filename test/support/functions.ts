/**
 * Builders for the `@azure/functions` v4 objects a handler receives, for calling handlers directly in tests
 * (the library runs in test mode outside the Functions host). Every context captures its log lines so tests
 * can assert on them, including that secrets never appear.
 */
import { HttpRequest, InvocationContext, type LogLevel, type Timer } from '@azure/functions';
import { inspect } from 'node:util';

/** One captured log call. */
export interface CapturedLog {
  level: LogLevel;
  message: string;
}

/** An invocation context plus everything it logged. */
export interface CapturingContext {
  context: InvocationContext;
  logs: CapturedLog[];
  /** All captured lines joined with newlines (handy for `toContain` / secret checks). */
  text(): string;
}

/** Creates an {@link InvocationContext} whose log calls are captured instead of printed. */
export function createContext(
  functionName = 'test',
  options: { invocationId?: string; triggerMetadata?: Record<string, unknown> } = {},
): CapturingContext {
  const logs: CapturedLog[] = [];
  const context = new InvocationContext({
    functionName,
    invocationId: options.invocationId ?? `inv-${Math.random().toString(36).slice(2, 10)}`,
    triggerMetadata: options.triggerMetadata,
    logHandler: (level, ...args) => {
      logs.push({
        level,
        message: args.map((arg) => (typeof arg === 'string' ? arg : inspect(arg, { depth: 6 }))).join(' '),
      });
    },
  });
  return { context, logs, text: () => logs.map((log) => `[${log.level}] ${log.message}`).join('\n') };
}

/** Builds an {@link HttpRequest}; `path` is appended to a local base URL, `query` merged into it. */
export function createHttpRequest(init: {
  method?: string;
  path?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: unknown;
  params?: Record<string, string>;
}): HttpRequest {
  const url = new URL(init.path ?? '/api/test', 'http://127.0.0.1:7071');
  for (const [key, value] of Object.entries(init.query ?? {})) url.searchParams.set(key, value);
  const body =
    init.body === undefined
      ? undefined
      : typeof init.body === 'string'
        ? { string: init.body }
        : init.body instanceof Uint8Array
          ? { bytes: init.body }
          : { string: JSON.stringify(init.body) };
  return new HttpRequest({
    method: init.method ?? 'GET',
    url: url.toString(),
    headers: init.headers,
    params: init.params,
    body,
  });
}

/**
 * A timer trigger payload. `scheduleStatus` defaults to null, as the runtime passes it when the schedule
 * monitor is off (the type does not say so, so handlers must cope).
 */
export function createTimer(
  options: { isPastDue?: boolean; scheduleStatus?: Timer['scheduleStatus'] | null } = {},
): Timer {
  return {
    isPastDue: options.isPastDue ?? false,
    schedule: { adjustForDST: false },
    scheduleStatus: (options.scheduleStatus ?? null) as Timer['scheduleStatus'],
  };
}
