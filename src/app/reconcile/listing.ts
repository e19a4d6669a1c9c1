/**
 * Listing the entitlements a policy acts on: one `entitlements/list` per account+program scope the rules use
 * (never one per entitlement), all scopes in parallel, a failing scope reported and left out so the others
 * are still reconciled. Used by reconcile, status and the CLI's `plan` and `forecast`.
 */
import type { Entitlement } from '../../lib/fortiflex/types';
import type { FortiFlexClient } from '../../lib/fortiflex';
import { errorMessage } from '../../lib/error-message';
import type { Policy } from '../../lib/rules';
import type { RunError } from './run-summary';

/** An account+program scope. */
export interface ProgramScope {
  accountId: number;
  programSerialNumber: string;
}

/** Key of an account+program scope in {@link RunListing.scopes}. */
export function scopeKey(scope: ProgramScope): string {
  return `${scope.accountId}|${scope.programSerialNumber}`;
}

/** The distinct account+program scopes the policy's rules act on. */
export function scopesOf(policy: Policy): ProgramScope[] {
  const scopes = new Map<string, ProgramScope>();
  for (const rule of policy.rules) {
    const { accountId, programSerialNumber } = rule.fortiflex;
    scopes.set(scopeKey(rule.fortiflex), { accountId, programSerialNumber });
  }
  return [...scopes.values()];
}

/** What one listing found: every entitlement once, and each listed scope's own result. */
export interface PolicyListing {
  entitlements: Entitlement[];
  /** Entitlements per listed scope, keyed by {@link scopeKey}. A scope whose list failed is absent. */
  byScope: Map<string, Entitlement[]>;
}

/**
 * The entitlements a reconcile run listed, handed to the pool sweep at the end of the same run so that a
 * pool in a listed account+program needs no list of its own.
 */
export interface RunListing {
  /** The run that listed them; a listing of any other run is ignored. */
  runId: string;
  scopes: ReadonlyMap<string, readonly Entitlement[]>;
  /**
   * Config ids of entitlements the run tried to change (the config of each planned action and the target of
   * a switch): their listing is out of date, so pools on them list again.
   */
  changedConfigs: ReadonlySet<number>;
}

/**
 * Lists every scope of the policy in parallel. A failing scope is pushed to `errors` (stage `list`) and left
 * out.
 */
export async function listPolicy(
  client: Pick<FortiFlexClient, 'listEntitlements'>,
  policy: Policy,
  errors: RunError[],
  signal?: AbortSignal,
): Promise<PolicyListing> {
  const scopes = scopesOf(policy);
  const results = await Promise.allSettled(
    scopes.map((scope) => client.listEntitlements(scope, undefined, signal ? { signal } : undefined)),
  );
  const bySerial = new Map<string, Entitlement>();
  const byScope = new Map<string, Entitlement[]>();
  results.forEach((result, i) => {
    const scope = scopes[i]!;
    if (result.status === 'fulfilled') {
      byScope.set(scopeKey(scope), result.value);
      for (const entitlement of result.value) bySerial.set(entitlement.serialNumber, entitlement);
    } else {
      errors.push({
        stage: 'list',
        message: `account ${scope.accountId} program ${scope.programSerialNumber}: ${errorMessage(result.reason)}`,
      });
    }
  });
  return { entitlements: [...bySerial.values()], byScope };
}

/** {@link listPolicy}, returning the entitlements only. */
export async function listEntitlements(
  deps: { client: Pick<FortiFlexClient, 'listEntitlements'> },
  policy: Policy,
  errors: RunError[],
  signal?: AbortSignal,
): Promise<Entitlement[]> {
  return (await listPolicy(deps.client, policy, errors, signal)).entitlements;
}
