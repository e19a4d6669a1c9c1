/** Shared builders for the planner, forecast and SVG tests. */
import type { Entitlement } from '../../../src/lib/fortiflex/types';
import { validatePolicy, type Policy } from '../../../src/lib/rules';

/** An entitlement in config `configId` with `status`. */
export function ent(serialNumber: string, status = 'ACTIVE', configId = 10, description = ''): Entitlement {
  return {
    serialNumber,
    description,
    configId,
    accountId: 1,
    startDate: '2026-01-01T00:00:00',
    endDate: '2027-01-01T00:00:00',
    status,
    token: '',
    tokenStatus: status === 'PENDING' ? 'NOTUSED' : 'USED',
  };
}

type RuleInput = Record<string, unknown> & { name: string };

/** A validated policy with one `office` schedule and the given rules (defaults applied by the validator). */
export function policyOf(
  rules: RuleInput[],
  schedules: Record<string, unknown> = {
    office: { timezone: 'Europe/Berlin', active: ['Mon-Fri 07:00-19:00'] },
  },
  extra: Record<string, unknown> = {},
): Policy {
  return validatePolicy({
    fortiflex: { accountId: 1, programSerialNumber: 'ELAVMR0000000001' },
    mode: 'enforce',
    schedules,
    rules: rules.map((rule) => ({
      select: { configIds: [10] },
      schedule: 'office',
      offHours: 'stop',
      ...rule,
    })),
    rates: { 10: 5, 11: 2, 20: 7 },
    ...extra,
  });
}
