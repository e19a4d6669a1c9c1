/**
 * The one zod definition of the policy file. It drives validation (with defaults) and the JSON Schema that
 * editors use (`policyJsonSchema()`, committed as `scaler.policy.schema.json`). Checks that span several
 * fields (schedule references, unique names, resolved scopes) live in `policy.ts`.
 */
import { z } from 'zod';
import { checkHolidayCalendar } from './holidays';
import { parseSpan } from './spans';
import { checkTimeZone, isValidIsoDate, parseLocalDateTime } from './time';

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

const name = (what: string, example: string) =>
  z.string({ error: `expected a ${what} name, e.g. "${example}"` }).regex(NAME_PATTERN, {
    error: `invalid ${what} name; expected letters, digits, ".", "_" or "-", e.g. "${example}"`,
  });

const configId = z
  .number({ error: 'expected a config id (a whole number), e.g. 2198' })
  .int({ error: 'expected a config id (a whole number), e.g. 2198' })
  .positive({ error: 'expected a config id (a whole number), e.g. 2198' });

const accountId = z
  .number({ error: 'expected an account id (a whole number), e.g. 12345' })
  .int({ error: 'expected an account id (a whole number), e.g. 12345' })
  .positive({ error: 'expected an account id (a whole number), e.g. 12345' });

const programSerialNumber = z
  .string({ error: 'expected a program serial number, e.g. "ELAVMR0000000519"' })
  .regex(/^[A-Z0-9]+$/, { error: 'expected a program serial number, e.g. "ELAVMR0000000519"' });

const minutes = (example: number, max: number) =>
  z
    .number({ error: `expected minutes (a whole number), e.g. ${example}` })
    .int({ error: `expected minutes (a whole number), e.g. ${example}` })
    .min(0, { error: `expected minutes from 0 to ${max}, e.g. ${example}` })
    .max(max, { error: `expected minutes from 0 to ${max}, e.g. ${example}` });

const scopeSchema = z
  .strictObject({ accountId, programSerialNumber })
  .meta({ description: 'FortiFlex account and program.' });

const scopeOverrideSchema = z
  .strictObject({ accountId: accountId.optional(), programSerialNumber: programSerialNumber.optional() })
  .meta({ description: 'Overrides the top-level fortiflex scope for this entry.' });

const isoDate = z
  .string({ error: 'expected a date, e.g. "2026-12-24"' })
  .refine(isValidIsoDate, { error: 'invalid date; expected YYYY-MM-DD, e.g. "2026-12-24"' });

const localDateTime = z
  .string({ error: 'expected a local date-time, e.g. "2026-12-28T00:00"' })
  .refine((v) => parseLocalDateTime('UTC', v) !== undefined, {
    error:
      'invalid local date-time; expected YYYY-MM-DDTHH:mm in the schedule\'s zone, e.g. "2026-12-28T00:00"',
  });

const spanSchema = z
  .string({ error: 'expected a span, e.g. "Mon-Fri 07:00-19:00"' })
  .superRefine((value, ctx) => {
    const parsed = parseSpan(value);
    if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.problem });
  })
  .meta({
    description:
      'Half-open local span: "Mon-Fri 07:00-19:00", "Sat 09:00-13:00", "Mon,Wed,Fri 08:00-12:00", ' +
      '"22:00-06:00" (overnight, every day), "daily 08:00-18:00", "Fri 18:00-Mon 06:00" (week-wrapping).',
    examples: ['Mon-Fri 07:00-19:00', 'Fri 18:00-Mon 06:00'],
  });

const timezoneSchema = z
  .string({ error: 'expected an IANA time zone, e.g. "Europe/Berlin"' })
  .superRefine((value, ctx) => {
    const problem = checkTimeZone(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .meta({
    description: 'IANA zone name (e.g. Europe/Berlin). Abbreviations such as CET or PST are rejected.',
  });

const holidayTypes = ['public', 'bank', 'school', 'optional', 'observance'] as const;

const holidaysSchema = z
  .strictObject({
    country: z
      .string({ error: 'expected a country code, e.g. "DE"' })
      .optional()
      .meta({ description: 'ISO 3166-1 alpha-2 country of the holiday calendar (date-holidays).' }),
    region: z
      .string({ error: 'expected a region code, e.g. "BY"' })
      .optional()
      .meta({ description: 'Region/state code within the country, e.g. BY.' }),
    types: z
      .array(
        z.enum(holidayTypes, { error: `expected one of ${holidayTypes.map((t) => `"${t}"`).join(', ')}` }),
      )
      .default(['public'])
      .meta({ description: 'Holiday types taken from the calendar.' }),
    dates: z.array(isoDate).default([]).meta({ description: 'Extra whole local days off (YYYY-MM-DD).' }),
  })
  .superRefine((value, ctx) => {
    if (value.region !== undefined && value.country === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['region'],
        message: 'a region needs a country; expected e.g. country: DE',
      });
      return;
    }
    if (value.country === undefined) return;
    const problem = checkHolidayCalendar(value.country, value.region);
    if (problem) ctx.addIssue({ code: 'custom', path: [problem.field], message: problem.problem });
  })
  .meta({ description: 'Whole local days that are inactive.' });

const exceptionSchema = z
  .strictObject({
    from: localDateTime.meta({ description: 'Local start (inclusive), e.g. 2026-12-28T00:00.' }),
    to: localDateTime.meta({ description: 'Local end (exclusive).' }),
    state: z.enum(['active', 'inactive'], { error: 'expected "active" or "inactive"' }),
    expires: localDateTime
      .optional()
      .meta({ description: 'Local instant after which this exception is ignored.' }),
  })
  .superRefine((value, ctx) => {
    const from = parseLocalDateTime('UTC', value.from);
    const to = parseLocalDateTime('UTC', value.to);
    if (from !== undefined && to !== undefined && to <= from) {
      ctx.addIssue({
        code: 'custom',
        path: ['to'],
        message: `ends at or before "from" (${value.from}); expected a later local date-time`,
      });
    }
  })
  .meta({ description: 'Absolute override in the schedule zone; the last listed matching exception wins.' });

const scheduleSchema = z
  .strictObject({
    timezone: timezoneSchema,
    active: z.array(spanSchema, { error: 'expected a list of spans, e.g. ["Mon-Fri 07:00-19:00"]' }),
    holidays: holidaysSchema.optional(),
    exceptions: z.array(exceptionSchema).default([]),
  })
  .meta({ description: 'When entitlements must be active.' });

const selectorKeyShape = {
  configIds: z.array(configId).min(1, { error: 'expected at least one config id, e.g. [2198]' }).optional(),
  serialNumbers: z
    .array(z.string().min(1, { error: 'expected a serial number, e.g. "FGVMMLTM00000001"' }))
    .min(1, { error: 'expected at least one serial number' })
    .optional(),
  descriptionPrefix: z.string().min(1, { error: 'expected a non-empty prefix, e.g. "branch-"' }).optional(),
  folderPath: z.string().min(1, { error: 'expected a folder path, e.g. "My Assets/branches"' }).optional(),
};

const selectorSchema = z
  .strictObject({
    ...selectorKeyShape,
    exclude: z
      .strictObject(selectorKeyShape)
      .optional()
      .meta({ description: 'Entitlements never selected.' }),
  })
  .superRefine((value, ctx) => {
    if (
      !value.configIds &&
      !value.serialNumbers &&
      value.descriptionPrefix === undefined &&
      !value.folderPath
    ) {
      ctx.addIssue({
        code: 'custom',
        message:
          'selects nothing; expected at least one of configIds, serialNumbers, descriptionPrefix, folderPath, e.g. { configIds: [2198] }',
      });
    }
  })
  .meta({ description: 'Matches an entitlement when any key matches and no exclude key matches.' });

const offHoursSchema = z
  .union([z.literal('stop'), z.strictObject({ switchConfig: configId })], {
    error: 'expected "stop" or { switchConfig: <config id> }, e.g. { switchConfig: 2199 }',
  })
  .meta({ description: 'Off-hours action: stop, or switch to another (cheaper) config.' });

const ruleSchema = z.strictObject({
  name: name('rule', 'branch-firewalls'),
  select: selectorSchema,
  schedule: name('schedule', 'office'),
  offHours: offHoursSchema.default('stop'),
  billing: z
    .strictObject({
      skipUnprofitableStops: z.boolean({ error: 'expected true or false' }).default(true),
      stopTiming: z
        .enum(['windowStart', 'lastSafeMoment'], { error: 'expected "windowStart" or "lastSafeMoment"' })
        .default('windowStart'),
      marginMinutes: minutes(30, 720).default(30),
    })
    .prefault({}),
  enforce: z
    .enum(['ownChangesOnly', 'always'], { error: 'expected "ownChangesOnly" or "always"' })
    .default('ownChangesOnly'),
  fortiflex: scopeOverrideSchema.optional(),
});

const capacitySchema = z
  .strictObject({
    schedule: name('schedule', 'office').optional(),
    min: z.number({ error: 'expected a count, e.g. 2' }).int({ error: 'expected a whole number' }).min(0),
    max: z.number({ error: 'expected a count, e.g. 10' }).int({ error: 'expected a whole number' }).min(0),
  })
  .superRefine((value, ctx) => {
    if (value.min > value.max) {
      ctx.addIssue({
        code: 'custom',
        path: ['min'],
        message: `greater than max (${value.max}); expected min ≤ max`,
      });
    }
  });

const secretName = (example: string) =>
  z.string({ error: `expected a Key Vault secret name, e.g. "${example}"` }).regex(/^[0-9A-Za-z-]{1,127}$/, {
    error: `invalid secret name; expected 1-127 letters, digits and dashes, e.g. "${example}"`,
  });

/** How the app reaches the FortiGates of a pool to deliver and confirm licences (docs/architecture.md §"Licence delivery"). */
const fortigateSchema = z
  .strictObject({
    apiKeySecret: secretName('fortigate-api-key').default('fortigate-api-key'),
    port: z
      .number({ error: 'expected a TCP port, e.g. 443' })
      .int({ error: 'expected a TCP port, e.g. 443' })
      .min(1, { error: 'expected a TCP port 1..65535, e.g. 443' })
      .max(65535, { error: 'expected a TCP port 1..65535, e.g. 443' })
      .default(443),
    protocol: z
      .enum(['https', 'http'], { error: 'expected "https" (or "http", for loopback addresses only)' })
      .default('https'),
    tls: z
      .union([z.enum(['tofu', 'insecure']), z.strictObject({ caSecret: secretName('fortigate-ca') })], {
        error: 'expected "tofu", "insecure" or { caSecret: NAME }',
      })
      .default('tofu'),
    deliveryTimeoutMinutes: z
      .number({ error: 'expected minutes (a whole number), e.g. 30' })
      .int({ error: 'expected minutes (a whole number), e.g. 30' })
      .min(1, { error: 'expected minutes from 1 to 1440, e.g. 30' })
      .max(1440, { error: 'expected minutes from 1 to 1440, e.g. 30' })
      .default(30),
  })
  .meta({
    description:
      'Deliver licence tokens to new FortiGates over the FortiOS REST API and adopt running ones; needs scaleSet.',
  });

const poolSchema = z.strictObject({
  name: name('pool', 'vmss-fgt'),
  configId,
  fortiflex: scopeOverrideSchema.optional(),
  description: z.string().optional(),
  folderPath: z.string().min(1).optional(),
  capacity: z
    .array(capacitySchema)
    .min(1, { error: 'expected at least one entry, e.g. [{ min: 1, max: 4 }]' })
    .meta({ description: 'Capacity bounds; the first entry whose schedule is active (or has none) wins.' }),
  scaleIn: z
    .strictObject({
      deferUntilBillingDayEnd: z.boolean({ error: 'expected true or false' }).default(true),
      marginMinutes: minutes(60, 720).default(60),
    })
    .prefault({}),
  triggers: z
    .strictObject({
      alertRules: z.array(z.string().min(1)).default([]),
      autoscaleResourceIds: z.array(z.string().min(1)).default([]),
    })
    .prefault({}),
  scaleSet: z.strictObject({ resourceId: z.string().min(1) }).optional(),
  claimTtlMinutes: z.number().int().positive().optional(),
  fortigate: fortigateSchema.optional(),
});

/** The policy file schema (input: what users write; output: with defaults applied). */
export const policySchema = z
  .strictObject({
    $schema: z.string().optional(),
    fortiflex: scopeSchema.optional(),
    mode: z.enum(['enforce', 'dryRun'], { error: 'expected "enforce" or "dryRun"' }).default('enforce'),
    safety: z
      .strictObject({
        maxActionsPerRun: z
          .number({ error: 'expected a whole number, e.g. 50' })
          .int({ error: 'expected a whole number, e.g. 50' })
          .positive({ error: 'expected a positive whole number, e.g. 50' })
          .default(50),
        minActiveMinutesAfterReactivate: minutes(60, 10080).default(60),
      })
      .prefault({}),
    schedules: z.record(name('schedule', 'office'), scheduleSchema).default({}),
    rules: z.array(ruleSchema).default([]),
    pools: z.array(poolSchema).default([]),
    rates: z
      .record(
        z.string().regex(/^[1-9]\d*$/, { error: 'expected a config id as key, e.g. "2198"' }),
        z.number({ error: 'expected points per day, e.g. 6.5' }).nonnegative(),
      )
      .optional()
      .meta({ description: 'Points per day per config id; overrides tools/calc.' }),
  })
  .meta({ title: 'fortiflex-scaler policy' });

/** Output type of {@link policySchema} (before scopes are resolved). */
export type PolicySchemaOutput = z.output<typeof policySchema>;

/** The JSON Schema (draft 2020-12) of the policy file, generated from {@link policySchema}. */
export function policyJsonSchema(): object {
  return z.toJSONSchema(policySchema, { io: 'input', unrepresentable: 'any' });
}
