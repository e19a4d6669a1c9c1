/**
 * Points per day per config from FortiFlex (`tools/calc`), for configs the policy gives no rate (docs/architecture.md §"Billing").
 *
 * `tools/calc` prices a product type and parameter values, not a config id, so the configs of a program are
 * listed once (`configs/list`) to learn them, then each config missing a rate is priced once. Both are cached
 * per worker for a TTL (rates change rarely; a day by default). A failure never blocks a run: the rate stays
 * unknown (its savings count as 0), a note says why, and the failure is remembered for a shorter time so a
 * broken endpoint does not cost calls on every tick.
 */
import type { FortiFlexClient } from '../../lib/fortiflex';
import type { Config, Entitlement } from '../../lib/fortiflex/types';
import { ruleSelects, type Plan, type Policy } from '../../lib/rules';
import { errorMessage } from '../../lib/error-message';

/** A config whose rate is wanted, with the program it belongs to. */
export interface RateNeed {
  configId: number;
  accountId: number;
  programSerialNumber?: string;
}

/** Rates found, and one note per config whose rate stays unknown. */
export interface RateLookup {
  rates: Record<number, number>;
  notes: string[];
}

/** A cached rate source; one per worker. */
export interface RateSource {
  /** Rates for `needs` at the run's clock reading `now`; never rejects. */
  lookup(needs: readonly RateNeed[], now: Date, signal?: AbortSignal): Promise<RateLookup>;
}

/** Tuning of {@link createRateSource}. */
export interface RateSourceOptions {
  /** How long a rate (and a program's config list) is reused, in ms. Default 24 h. */
  ttlMs?: number;
  /** How long a failed lookup is remembered before it is tried again, in ms. Default 15 minutes. */
  failureTtlMs?: number;
}

/** Default TTL of a cached rate. */
export const RATE_TTL_MS = 24 * 3_600_000;
const FAILURE_TTL_MS = 15 * 60_000;

type Rated = { rate: number } | { error: string };

interface Cached<T> {
  value: Promise<T>;
  expires: number;
}

/**
 * The configs of `plan`'s actions (and their off-hours targets) that have no rate in the policy or in
 * `known`: the only rates that change what the plan saves.
 */
export function missingRates(plan: Plan, policy: Policy, known: Record<number, number> = {}): RateNeed[] {
  const has = (configId: number): boolean =>
    policy.rates?.[configId] !== undefined || known[configId] !== undefined;
  const needs = new Map<number, RateNeed>();
  // A reactivation saves nothing, so only stops and switches need a rate.
  for (const action of plan.actions.filter((a) => a.action !== 'reactivate')) {
    for (const configId of [action.configId, action.targetConfigId]) {
      if (configId === undefined || has(configId) || needs.has(configId)) continue;
      needs.set(configId, {
        configId,
        accountId: action.accountId,
        ...(action.programSerialNumber !== undefined && { programSerialNumber: action.programSerialNumber }),
      });
    }
  }
  return [...needs.values()];
}

/**
 * The configs of every entitlement a rule selects (and the rules' off-hours configs) without a rate in the
 * policy: what a forecast over all selected entitlements needs (the status page).
 */
export function selectedMissingRates(
  policy: Policy,
  entitlements: readonly Entitlement[],
  originalConfigOf: (serialNumber: string) => number | undefined = () => undefined,
): RateNeed[] {
  const needs = new Map<number, RateNeed>();
  const want = (configId: number, scope: { accountId: number; programSerialNumber: string }): void => {
    if (policy.rates?.[configId] === undefined && !needs.has(configId))
      needs.set(configId, { configId, ...scope });
  };
  for (const rule of policy.rules) {
    if (typeof rule.offHours === 'object') want(rule.offHours.switchConfig, rule.fortiflex);
    for (const e of entitlements) {
      const original = originalConfigOf(e.serialNumber);
      if (ruleSelects(rule, e, original !== undefined ? { originalConfigId: original } : undefined)) {
        want(original ?? e.configId, rule.fortiflex);
      }
    }
  }
  return [...needs.values()];
}

/** Builds a rate source over `client` (`configs/list` and `tools/calc`). */
export function createRateSource(
  client: Pick<FortiFlexClient, 'listConfigs' | 'calculatePoints'>,
  options: RateSourceOptions = {},
): RateSource {
  const ttlMs = options.ttlMs ?? RATE_TTL_MS;
  const failureTtlMs = options.failureTtlMs ?? FAILURE_TTL_MS;
  const configLists = new Map<string, Cached<Config[]>>();
  const rates = new Map<number, Cached<Rated>>();

  /** A cached entry still valid at `now`, or a new one from `load`; failures expire sooner. */
  function cached<K, T>(cache: Map<K, Cached<T>>, key: K, now: number, load: () => Promise<T>): Promise<T> {
    const hit = cache.get(key);
    if (hit !== undefined && hit.expires > now) return hit.value;
    const entry: Cached<T> = { value: load(), expires: now + ttlMs };
    entry.value.then(
      (value) => {
        if (typeof value === 'object' && value !== null && 'error' in value)
          entry.expires = now + failureTtlMs;
      },
      () => (entry.expires = now + failureTtlMs),
    );
    cache.set(key, entry);
    return entry.value;
  }

  async function rateOf(need: RateNeed, now: number, signal?: AbortSignal): Promise<Rated> {
    const program = need.programSerialNumber;
    if (program === undefined) return { error: 'no program serial number in the rule scope' };
    const callOptions = signal ? { signal } : undefined;
    let configs: Config[];
    try {
      configs = await cached(configLists, `${need.accountId}|${program}`, now, () =>
        client.listConfigs({ programSerialNumber: program, accountId: need.accountId }, callOptions),
      );
    } catch (error) {
      return { error: `configs/list: ${errorMessage(error)}` };
    }
    const config = configs.find((c) => c.id === need.configId);
    if (config === undefined) return { error: `not found in program ${program}` };
    try {
      const estimate = await client.calculatePoints(
        {
          programSerialNumber: program,
          productTypeId: config.productType.id,
          parameters: config.parameters.map((p) => ({ id: p.id, value: p.value })),
          count: 1,
        },
        callOptions,
      );
      if (!Number.isFinite(estimate.current) || estimate.current < 0) {
        return { error: `tools/calc returned ${String(estimate.current)} points` };
      }
      return { rate: estimate.current };
    } catch (error) {
      return { error: `tools/calc: ${errorMessage(error)}` };
    }
  }

  return {
    async lookup(needs, now, signal) {
      const at = now.getTime();
      const found = await Promise.all(
        needs.map((need) => cached(rates, need.configId, at, () => rateOf(need, at, signal))),
      );
      const result: RateLookup = { rates: {}, notes: [] };
      found.forEach((rated, i) => {
        const configId = needs[i]!.configId;
        if ('rate' in rated) result.rates[configId] = rated.rate;
        else result.notes.push(`points rate for config ${configId} unavailable (${rated.error})`);
      });
      return result;
    },
  };
}
