/**
 * ARM fault injection: rules queued per operation (and optionally per resource), each consumed by the
 * requests it fires on; the first matching rule with uses left fires, one per request.
 */
import type { ArmFaultRule } from './types';

const KINDS = new Set([
  'allocationFailed',
  'conflict',
  'throttle',
  'serverError',
  'http',
  'hang',
  'omitPowerState',
]);

interface ActiveRule {
  rule: ArmFaultRule;
  remaining: number;
}

/** True when a request about `target` (a lower-cased ARM id) matches a rule's target (a name or an id). */
function targetMatches(ruleTarget: string | undefined, target: string | undefined): boolean {
  if (ruleTarget === undefined) return true;
  if (target === undefined) return false;
  const wanted = ruleTarget.trim().toLowerCase();
  return wanted.startsWith('/') ? target === wanted.replace(/\/+$/, '') : target.endsWith(`/${wanted}`);
}

/** The queued ARM fault rules of one simulator. */
export class ArmFaultInjector {
  private rules: ActiveRule[] = [];

  /** Queues a rule; throws a one-line error naming the bad field. */
  add(rule: ArmFaultRule): void {
    if (typeof rule.operation !== 'string' || rule.operation.trim() === '') {
      throw new Error('fault.operation: expected an operation such as "vm.start", "operation.status" or "*"');
    }
    if (!rule.fault || !KINDS.has(rule.fault.kind)) {
      throw new Error(`fault.fault.kind: expected one of ${[...KINDS].join(', ')}`);
    }
    if (rule.fault.kind === 'allocationFailed' && rule.operation !== 'vm.start') {
      throw new Error('fault.operation: allocationFailed applies to "vm.start" only');
    }
    const times = rule.times ?? 1;
    if (!(times === Infinity || (Number.isInteger(times) && times > 0))) {
      throw new Error('fault.times: expected a positive integer or Infinity');
    }
    if (rule.when !== undefined && rule.when !== 'before' && rule.when !== 'after') {
      throw new Error('fault.when: expected "before" or "after"');
    }
    this.rules.push({ rule: { ...rule, operation: rule.operation.trim() }, remaining: times });
  }

  /** Removes every queued rule. */
  clear(): void {
    this.rules = [];
  }

  /** Consumes and returns the rule for a request, if any. */
  take(operation: string, target: string | undefined): ArmFaultRule | undefined {
    const active = this.rules.find(
      ({ rule }) =>
        (rule.operation === '*' || rule.operation === operation) &&
        // omitPowerState targets list items, not the request: the handler applies its target per item.
        (rule.fault.kind === 'omitPowerState' || targetMatches(rule.target, target)),
    );
    if (!active) return undefined;
    active.remaining -= 1;
    if (active.remaining <= 0) this.rules = this.rules.filter((r) => r !== active);
    return active.rule;
  }
}
