import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePolicy, PolicyError, validatePolicy, type Policy } from '../../../src/lib/rules';

const ROOT = join(__dirname, '..', '..', '..');

const minimal = (overrides: Record<string, unknown> = {}) => ({
  fortiflex: { accountId: 12345, programSerialNumber: 'ELAVMR0000000519' },
  schedules: { office: { timezone: 'Europe/Berlin', active: ['Mon-Fri 07:00-19:00'] } },
  rules: [{ name: 'branch', select: { configIds: [2198] }, schedule: 'office' }],
  ...overrides,
});

function problems(value: unknown): string[] {
  try {
    validatePolicy(value);
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    return (error as PolicyError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('expected the policy to be rejected');
}

const withZone = (timezone: string) =>
  minimal({ schedules: { office: { timezone, active: ['Mon-Fri 07:00-19:00'] } } });

describe('parsePolicy', () => {
  it('accepts the shipped example', () => {
    const policy = parsePolicy(readFileSync(join(ROOT, 'scaler.policy.example.yaml'), 'utf8'), 'example');
    expect(policy.rules.map((r) => r.name)).toEqual(['branch-emea', 'us-stores', 'lab']);
    expect(policy.rules[1]!.offHours).toEqual({ switchConfig: 2199 });
    expect(policy.pools[0]).toMatchObject({
      name: 'vmss-fgt',
      configId: 2200,
      triggers: { alertRules: ['fgt-cpu-high'] },
    });
    expect(policy.schedules['office']!.holidays).toMatchObject({ country: 'DE', region: 'BY' });
    expect(policy.rates).toEqual({ 2198: 6.39, 2199: 1.1, 2200: 10.33 });
  });

  it('applies defaults and resolves every scope', () => {
    const policy: Policy = parsePolicy(JSON.stringify(minimal()), 'p.json');
    expect(policy.mode).toBe('enforce');
    expect(policy.safety).toEqual({ maxActionsPerRun: 50, minActiveMinutesAfterReactivate: 60 });
    expect(policy.schedules['office']!.exceptions).toEqual([]);
    expect(policy.rules[0]).toEqual({
      name: 'branch',
      select: { configIds: [2198] },
      schedule: 'office',
      offHours: 'stop',
      billing: { skipUnprofitableStops: true, stopTiming: 'windowStart', marginMinutes: 30 },
      enforce: 'ownChangesOnly',
      fortiflex: { accountId: 12345, programSerialNumber: 'ELAVMR0000000519' },
    });
    expect(policy.pools).toEqual([]);
  });

  it('merges a partial scope override over the default', () => {
    const policy = validatePolicy(
      minimal({
        pools: [{ name: 'p', configId: 2200, capacity: [{ min: 1, max: 2 }], fortiflex: { accountId: 777 } }],
      }),
    );
    expect(policy.pools[0]!.fortiflex).toEqual({ accountId: 777, programSerialNumber: 'ELAVMR0000000519' });
    expect(policy.pools[0]!.scaleIn).toEqual({ deferUntilBillingDayEnd: true, marginMinutes: 60 });
  });

  it('keeps YAML 1.2 scalars as written (times, NO)', () => {
    const policy = parsePolicy(`
fortiflex: { accountId: 12345, programSerialNumber: ELAVMR0000000519 }
schedules:
  oslo:
    timezone: Europe/Oslo
    active: [Mon-Fri 07:00-19:00]
    holidays: { country: NO }
rules: []
`);
    expect(policy.schedules['oslo']!.holidays!.country).toBe('NO');
  });

  it('reports YAML syntax errors with their position', () => {
    expect(() => parsePolicy('mode: [enforce', 'bad.yaml')).toThrow(
      /^invalid bad\.yaml: 1 problem\nbad\.yaml:1:/,
    );
    expect(() => parsePolicy('a: 1\na: 2', 'dup.yaml')).toThrow(/dup\.yaml:2:1: .*unique/i);
    expect(() => parsePolicy('', 'empty.yaml')).toThrow(
      'invalid empty.yaml: 1 problem\n(policy): empty — no content; expected a mapping with schedules and rules',
    );
  });
});

describe('invalid policies: every problem, path, value and accepted form', () => {
  it('lists every problem in one error, one per line', () => {
    const input = minimal({
      mode: 'live',
      schedules: {
        office: { timezone: 'CET', active: ['Mon-Fri 07:00-19:00', 'Mon-Fry 07:00-19:00'], exceptions: [] },
      },
      rules: [
        { name: 'a', select: { configIds: [2198] }, schedule: 'ofice', offHours: 'halt' },
        { name: 'a', select: {}, schedule: 'office', colour: 'red' },
      ],
    });
    let error: PolicyError | undefined;
    try {
      validatePolicy(input, 'scaler.policy.yaml');
    } catch (e) {
      error = e as PolicyError;
    }
    expect(error).toBeInstanceOf(PolicyError);
    expect(error!.message.split('\n')).toEqual([
      'invalid scaler.policy.yaml: 8 problems',
      'mode: "live" — expected "enforce" or "dryRun"',
      'schedules.office.timezone: "CET" — time zone abbreviation, not an IANA zone; expected the zone of the place, e.g. "Europe/Berlin" (or "Europe/Paris", "Europe/Madrid", "Europe/Rome")',
      'schedules.office.active[1]: "Mon-Fry 07:00-19:00" — unknown day "Fry"; expected e.g. "Mon-Fri 07:00-19:00"',
      'rules[0].offHours: "halt" — expected "stop" or { switchConfig: <config id> }, e.g. { switchConfig: 2199 }',
      'rules[1].select: {} — selects nothing; expected at least one of configIds, serialNumbers, descriptionPrefix, folderPath, e.g. { configIds: [2198] }',
      'rules[1].colour: "red" — unknown key; expected one of name, select, schedule, offHours, billing, enforce, fortiflex',
      'rules[0].schedule: "ofice" — no such schedule; expected one of the names under schedules ("office")',
      'rules[1].name: "a" — duplicate name (also rules[0]); expected unique rules names',
    ]);
  });

  it.each([
    ['PST', '"America/Los_Angeles"'],
    ['PDT', '"America/Los_Angeles"'],
    ['CEST', '"Europe/Berlin" (or "Europe/Paris", "Europe/Madrid", "Europe/Rome")'],
    ['EST', '"America/New_York" (or "America/Toronto")'],
    ['IST', '"Asia/Kolkata" (or "Europe/Dublin", "Asia/Jerusalem")'],
    ['AEST', '"Australia/Sydney" (or "Australia/Melbourne", "Australia/Brisbane")'],
    ['est5edt', '"America/New_York"'],
  ])('rejects the abbreviation %s, suggesting %s', (zone, suggestion) => {
    expect(problems(withZone(zone))).toEqual([
      `schedules.office.timezone: "${zone}" — time zone abbreviation, not an IANA zone; expected the zone of the place, e.g. ${suggestion}`,
    ]);
  });

  it.each(['+01:00', 'UTC+1', 'GMT-05:00', 'Etc/GMT-1', 'UTC\u22125'])(
    'rejects the fixed offset %s',
    (zone) => {
      expect(problems(withZone(zone))).toEqual([
        `schedules.office.timezone: "${zone}" — fixed UTC offset, which ignores daylight saving; expected the IANA zone of the place, e.g. "Europe/Berlin"`,
      ]);
    },
  );

  it('rejects unknown zones with the closest IANA name', () => {
    expect(problems(withZone('Europe/Berln'))).toEqual([
      'schedules.office.timezone: "Europe/Berln" — unknown time zone; expected an IANA name such as "Europe/Berlin"',
    ]);
  });

  it('does not mistake a short unknown name for a UTC offset', () => {
    expect(problems(withZone('X1'))).toEqual([
      expect.stringMatching(/^schedules\.office\.timezone: "X1" — unknown time zone; expected an IANA name/),
    ]);
  });

  it('reports a bad span in a YAML file with its path, value and the accepted form', () => {
    const yaml = [
      'fortiflex: { accountId: 12345, programSerialNumber: ELAVMR0000000519 }',
      'schedules:',
      '  office:',
      '    timezone: Europe/Berlin',
      '    active: ["Mon-Fri 07:00-19:00", "Mon-Fry 07:00-19:00"]',
      'rules: []',
    ].join('\n');
    expect(() => parsePolicy(yaml, 'scaler.policy.yaml')).toThrow(
      'invalid scaler.policy.yaml: 1 problem\n' +
        'schedules.office.active[1]: "Mon-Fry 07:00-19:00" — unknown day "Fry"; expected e.g. "Mon-Fri 07:00-19:00"',
    );
  });

  it.each(['UTC', 'Etc/UTC', 'America/Argentina/Buenos_Aires'])('accepts %s', (zone) => {
    expect(validatePolicy(withZone(zone)).schedules['office']!.timezone).toBe(zone);
  });

  it('checks schedule references, names, bounds, scopes, holidays and exceptions', () => {
    expect(
      problems({
        schedules: {
          office: {
            timezone: 'Europe/Berlin',
            active: [],
            holidays: { country: 'DE', region: 'XY', dates: ['2026-02-30'] },
            exceptions: [{ from: '2026-12-28T00:00', to: '2026-12-27T00:00', state: 'off' }],
          },
        },
        rules: [{ name: 'r', select: { configIds: [2198] }, schedule: 'office' }],
        pools: [
          { name: 'p', configId: 2200, capacity: [{ schedule: 'weekend', min: 5, max: 2 }] },
          { name: 'p', configId: 'x', capacity: [] },
        ],
      }),
    ).toEqual([
      'schedules.office.holidays.dates[0]: "2026-02-30" — invalid date; expected YYYY-MM-DD, e.g. "2026-12-24"',
      'schedules.office.holidays.region: "XY" — unknown region of DE; expected one of "BB", "BE", "BW", "BY", "HB", "HE", "HH", "MV", "NI", "NW", "RP", "SH", "SL", "SN", "ST", "TH"',
      'schedules.office.exceptions[0].state: "off" — expected "active" or "inactive"',
      'pools[0].capacity[0].min: 5 — greater than max (2); expected min ≤ max',
      'pools[1].configId: "x" — a string is not accepted here; expected a config id (a whole number), e.g. 2198',
      'pools[1].capacity: [] — expected at least one entry, e.g. [{ min: 1, max: 4 }]',
      'rules[0].fortiflex: missing — no accountId or programSerialNumber here or in the top-level fortiflex scope; expected e.g. fortiflex: { accountId: 12345, programSerialNumber: ELAVMR0000000519 }',
      'pools[0].capacity[0].schedule: "weekend" — no such schedule; expected one of the names under schedules ("office")',
      'pools[0].fortiflex: missing — no accountId or programSerialNumber here or in the top-level fortiflex scope; expected e.g. fortiflex: { accountId: 12345, programSerialNumber: ELAVMR0000000519 }',
      'pools[1].fortiflex: missing — no accountId or programSerialNumber here or in the top-level fortiflex scope; expected e.g. fortiflex: { accountId: 12345, programSerialNumber: ELAVMR0000000519 }',
      'pools[1].name: "p" — duplicate name (also pools[0]); expected unique pools names',
    ]);
  });

  it('rejects an exception that ends before it starts, and a region without a country', () => {
    expect(
      problems(
        minimal({
          schedules: {
            office: {
              timezone: 'Europe/Berlin',
              active: ['Mon-Fri 07:00-19:00'],
              holidays: { region: 'BY' },
              exceptions: [{ from: '2026-12-28T00:00', to: '2026-12-27', state: 'inactive' }],
            },
          },
        }),
      ),
    ).toEqual([
      'schedules.office.holidays.region: "BY" — a region needs a country; expected e.g. country: DE',
      'schedules.office.exceptions[0].to: "2026-12-27" — ends at or before "from" (2026-12-28T00:00); expected a later local date-time',
    ]);
  });

  it('names missing required fields', () => {
    expect(problems(minimal({ rules: [{ name: 'r', schedule: 'office' }] }))).toEqual([
      'rules[0].select: missing — required; expected a mapping',
    ]);
  });
});
