/**
 * Fault injection: rules queued per endpoint, each consumed by the requests it fires on. One fault fires per
 * request: the first rule, in insertion order, that matches the endpoint, still has uses left and, when it
 * has a `probability`, is drawn to fire (from a seeded generator, so a seed replays the same faults).
 */
import type { FaultRule } from './types';

const KINDS = new Set([
  'http',
  'envelope',
  'delay',
  'hang',
  'reset',
  'malformed',
  'rateLimit',
  'invalidToken',
  'legacyKeys',
]);
/** Kinds that only make sense on FortiFlex API endpoints, never on the token endpoint. */
const API_ONLY = new Set(['invalidToken', 'legacyKeys']);

interface ActiveRule {
  rule: FaultRule;
  remaining: number;
}

/** Normalizes an endpoint name: no surrounding slashes, `api/v1/oauth/token` → `oauth/token`. */
export function normalizeEndpoint(endpoint: string): string {
  return endpoint
    .trim()
    .replace(/^\/+|\/+$/g, '')
    .replace(/^api\/v1\//, '');
}

/** mulberry32: a small seeded generator of numbers in [0, 1). */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The queued fault rules of one simulator. */
export class FaultInjector {
  private rules: ActiveRule[] = [];
  private readonly random: () => number;

  constructor(seed = 1) {
    this.random = seededRandom(seed);
  }

  /** Queues a rule; throws a one-line error naming the bad field. */
  add(rule: FaultRule): void {
    if (typeof rule.endpoint !== 'string' || normalizeEndpoint(rule.endpoint) === '') {
      throw new Error(
        'fault.endpoint: expected an endpoint such as "entitlements/stop", "oauth/token" or "*"',
      );
    }
    if (!rule.fault || !KINDS.has(rule.fault.kind)) {
      throw new Error(`fault.fault.kind: expected one of ${[...KINDS].join(', ')}`);
    }
    const times = rule.times ?? 1;
    if (!(times === Infinity || (Number.isInteger(times) && times > 0))) {
      throw new Error('fault.times: expected a positive integer or Infinity');
    }
    if (rule.when !== undefined && rule.when !== 'before' && rule.when !== 'after') {
      throw new Error('fault.when: expected "before" or "after"');
    }
    if (rule.probability !== undefined && !(rule.probability > 0 && rule.probability <= 1)) {
      throw new Error('fault.probability: expected a number in (0, 1]');
    }
    this.rules.push({ rule: { ...rule, endpoint: normalizeEndpoint(rule.endpoint) }, remaining: times });
  }

  /** Removes every queued rule. */
  clear(): void {
    this.rules = [];
  }

  /** Consumes and returns the fault for a request to `endpoint`, if any. */
  take(endpoint: string, isApi: boolean): FaultRule | undefined {
    const active = this.rules.find(
      ({ rule }) =>
        (rule.endpoint === '*' || rule.endpoint === endpoint) &&
        (isApi || !API_ONLY.has(rule.fault.kind)) &&
        (rule.probability === undefined || this.random() < rule.probability),
    );
    if (!active) return undefined;
    active.remaining -= 1;
    if (active.remaining <= 0) this.rules = this.rules.filter((r) => r !== active);
    return active.rule;
  }
}
