/**
 * Response parsing: zod schemas that turn FortiFlex wire payloads into the domain types of `types.ts`,
 * normalizing the API's quirks on the way in:
 * - ids and numbers sent as strings (`"configId": "2198"`) become numbers;
 * - parameter values sent as numbers become strings;
 * - `null` strings become `""`;
 * - the legacy `vms` key is read when `entitlements` is missing;
 * - object-vs-array payloads (configs/create returns an object, configs/list an array; nexttoken either)
 *   become arrays.
 * List-type config parameters stay as repeated entries, as the API returns them; {@link parameterValues}
 * and {@link toRequestParameters} convert between that form and plain lists ("NONE" = empty list).
 */
import { z } from 'zod';
import type {
  Config,
  ConfigParameter,
  Entitlement,
  EntitlementPoints,
  Group,
  PointsEstimate,
  Program,
  ProgramPoints,
} from './types';

const numeric = z.union([
  z.number(),
  z
    .string()
    .trim()
    .regex(/^-?\d+(\.\d+)?$/, 'expected a number')
    .transform(Number),
]);
const id = numeric.pipe(z.number().int());
const optionalId = z.preprocess(
  (value) => (value === null || value === '' ? undefined : value),
  id.optional(),
);
const text = z
  .union([z.string(), z.number(), z.null()])
  .optional()
  .transform((value) => (value === null || value === undefined ? '' : String(value)));
const bool = z
  .union([z.boolean(), z.literal('true'), z.literal('false'), z.null()])
  .optional()
  .transform((value) => value === true || value === 'true');

const programSchema = z.object({
  serialNumber: z.string(),
  accountId: optionalId.transform((value) => value ?? 0),
  startDate: text,
  endDate: text,
  hasSupportCoverage: bool,
});

const parameterSchema = z
  .object({ id, name: z.string().nullish(), value: text })
  .transform((raw): ConfigParameter =>
    raw.name ? { id: raw.id, name: raw.name, value: raw.value } : { id: raw.id, value: raw.value },
  );

const configSchema = z
  .object({
    id,
    name: text,
    programSerialNumber: text,
    accountId: optionalId,
    status: text,
    productType: z.object({ id, name: text }).nullish(),
    productTypeId: optionalId,
    parameters: z.array(parameterSchema).nullish(),
  })
  .transform((raw): Config => ({
    id: raw.id,
    name: raw.name,
    programSerialNumber: raw.programSerialNumber,
    accountId: raw.accountId ?? 0,
    status: raw.status,
    productType: raw.productType ?? { id: raw.productTypeId ?? 0, name: '' },
    parameters: raw.parameters ?? [],
  }));

const entitlementSchema = z
  .object({
    serialNumber: z.string().min(1),
    description: text,
    configId: optionalId,
    accountId: optionalId,
    startDate: text,
    endDate: text,
    status: text,
    token: text,
    tokenStatus: text,
  })
  .transform((raw): Entitlement => ({
    serialNumber: raw.serialNumber,
    description: raw.description,
    configId: raw.configId ?? 0,
    accountId: raw.accountId ?? 0,
    startDate: raw.startDate,
    endDate: raw.endDate,
    status: raw.status,
    token: raw.token,
    tokenStatus: raw.tokenStatus === 'USED' || raw.tokenStatus === 'NOTUSED' ? raw.tokenStatus : '',
  }));

const entitlementPointsSchema = z.object({
  serialNumber: z.string(),
  accountId: optionalId.transform((value) => value ?? 0),
  points: numeric,
});

const groupSchema = z.object({
  folderPath: text,
  availableTokens: numeric.catch(0),
  usedTokens: numeric.catch(0),
  accountId: optionalId.transform((value) => value ?? 0),
});

const nullableNumber = z
  .union([numeric, z.null()])
  .optional()
  .transform((value) => value ?? null);
const estimateSchema = z.object({
  current: numeric,
  latest: nullableNumber,
  latestEffectiveDate: z
    .union([z.string(), z.null()])
    .optional()
    .transform((value) => (value === undefined || value === '' ? null : value)),
});

/** A payload that does not match the expected shape; the message names the first offending field. */
export class PayloadError extends Error {
  override readonly name = 'PayloadError';
}

function asArray(value: unknown): unknown[] {
  if (value === null || value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function payload(envelope: Record<string, unknown>, keys: readonly string[]): unknown {
  for (const key of keys) {
    if (envelope[key] !== undefined && envelope[key] !== null) return envelope[key];
  }
  return undefined;
}

function parseWith<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue ? issue.path.join('.') : '';
  throw new PayloadError(`unexpected ${what}${path ? ` at ${path}` : ''}: ${issue?.message ?? 'invalid'}`);
}

function parseList<T>(
  schema: z.ZodType<T>,
  envelope: Record<string, unknown>,
  keys: readonly string[],
  what: string,
): T[] {
  return parseWith(z.array(schema), asArray(payload(envelope, keys)), what);
}

/** `programs/list` → programs. */
export function parsePrograms(envelope: Record<string, unknown>): Program[] {
  return parseList(programSchema, envelope, ['programs'], 'programs payload');
}

/** `configs/*` → configurations (array for list, object for create/update/enable/disable). */
export function parseConfigs(envelope: Record<string, unknown>): Config[] {
  return parseList(configSchema, envelope, ['configs'], 'configs payload');
}

/**
 * Fast path for the common, already-canonical entitlement (numbers are numbers, strings are strings): lists
 * of hundreds of entitlements are the client's hot path, and the zod schema costs several microseconds per
 * item. Anything unusual returns undefined and goes through the schema, so the result is the same either way.
 */
function canonicalEntitlement(value: unknown): Entitlement | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const raw = value as Record<string, unknown>;
  const { serialNumber, description, configId, accountId, startDate, endDate, status, token, tokenStatus } =
    raw;
  if (
    typeof serialNumber !== 'string' ||
    serialNumber === '' ||
    typeof description !== 'string' ||
    !Number.isInteger(configId) ||
    !Number.isInteger(accountId) ||
    typeof startDate !== 'string' ||
    typeof endDate !== 'string' ||
    typeof status !== 'string' ||
    typeof token !== 'string' ||
    (tokenStatus !== 'USED' && tokenStatus !== 'NOTUSED' && tokenStatus !== '')
  ) {
    return undefined;
  }
  return {
    serialNumber,
    description,
    configId: configId as number,
    accountId: accountId as number,
    startDate,
    endDate,
    status,
    token,
    tokenStatus,
  };
}

/** Any entitlements payload, reading the legacy `vms` key when `entitlements` is missing. */
export function parseEntitlements(envelope: Record<string, unknown>): Entitlement[] {
  const items = asArray(payload(envelope, ['entitlements', 'vms']));
  const fast: Entitlement[] = [];
  for (const item of items) {
    const entitlement = canonicalEntitlement(item);
    if (!entitlement) return parseWith(z.array(entitlementSchema), items, 'entitlements payload');
    fast.push(entitlement);
  }
  return fast;
}

/** `entitlements/points` → per-entitlement totals. */
export function parseEntitlementPoints(envelope: Record<string, unknown>): EntitlementPoints[] {
  return parseList(entitlementPointsSchema, envelope, ['entitlements', 'vms'], 'entitlement points payload');
}

/** `groups/list` → groups. */
export function parseGroups(envelope: Record<string, unknown>): Group[] {
  return parseList(groupSchema, envelope, ['groups'], 'groups payload');
}

/** `tools/calc` → estimate; the key is `configs` (Ansible docs) or `points` (newer guide), object or array. */
export function parsePointsEstimate(envelope: Record<string, unknown>): PointsEstimate {
  const value = asArray(payload(envelope, ['points', 'configs']))[0];
  if (typeof value === 'number' || typeof value === 'string') {
    return { current: parseWith(numeric, value, 'points estimate'), latest: null, latestEffectiveDate: null };
  }
  return parseWith(estimateSchema, value, 'points estimate');
}

/**
 * `programs/points` → balance. The shape is unconfirmed (no Fortinet source documents it): accepts `programs[0].pointBalance`,
 * a top-level `pointBalance`, or `points` as a number or `{ pointBalance }`.
 */
export function parseProgramPoints(envelope: Record<string, unknown>, serialNumber: string): ProgramPoints {
  const programs = asArray(envelope.programs) as Array<Record<string, unknown> | undefined>;
  const points = envelope.points as Record<string, unknown> | number | string | undefined;
  const candidates: unknown[] = [
    programs[0]?.pointBalance,
    envelope.pointBalance,
    typeof points === 'object' && points !== null ? points.pointBalance : points,
  ];
  const found = candidates.find((value) => value !== undefined && value !== null && value !== '');
  if (found === undefined) {
    // No Fortinet source documents the endpoint: an unexpected shape must not read as "no balance".
    throw new PayloadError(
      'reply carries no recognisable points balance (expected programs[0].pointBalance, pointBalance or points); this endpoint is not documented by Fortinet',
    );
  }
  const balance = parseWith(numeric, found, 'points balance');
  const serial =
    typeof programs[0]?.serialNumber === 'string' ? (programs[0].serialNumber as string) : serialNumber;
  return { serialNumber: serial, pointBalance: balance };
}

/** Reads the envelope of a reply: the object with `status`, `message`, `error`, and the payload key. */
export function parseEnvelope(text: string): Record<string, unknown> {
  const value: unknown = JSON.parse(text);
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new PayloadError('reply is not a JSON object');
  }
  return value as Record<string, unknown>;
}

/** Values of parameter `parameterId` in `config`, with list parameters' "NONE" placeholder read as empty. */
export function parameterValues(config: Pick<Config, 'parameters'>, parameterId: number): string[] {
  return config.parameters
    .filter((parameter) => parameter.id === parameterId)
    .map((parameter) => parameter.value)
    .filter((value) => value !== 'NONE');
}

/**
 * Builds the request form of parameters from plain values: one `{id, value}` entry per value, ids repeated
 * for list parameters, and an empty list sent as a single `"NONE"` (what the API and vendor tools expect).
 */
export function toRequestParameters(
  values: ReadonlyArray<{ id: number; value: string | number | ReadonlyArray<string | number> }>,
): { id: number; value: string }[] {
  return values.flatMap(({ id: parameterId, value }) => {
    if (!Array.isArray(value)) return [{ id: parameterId, value: String(value) }];
    const list = value as ReadonlyArray<string | number>;
    return list.length === 0
      ? [{ id: parameterId, value: 'NONE' }]
      : list.map((item) => ({ id: parameterId, value: String(item) }));
  });
}

/**
 * Parameters the API reports but refuses in requests: 47 EDR endpoints, 60 NDR metered
 * usage, 85–88 AppSec throughput, applications, QPS and health checks.
 */
export const READ_ONLY_PARAMETER_IDS: ReadonlySet<number> = new Set([47, 60, 85, 86, 87, 88]);

/** The parameter list to send back for `config` unchanged: every entry as reported, read-only ones dropped. */
export function requestParametersOf(config: Pick<Config, 'parameters'>): { id: number; value: string }[] {
  return config.parameters
    .filter((parameter) => !READ_ONLY_PARAMETER_IDS.has(parameter.id))
    .map((parameter) => ({ id: parameter.id, value: parameter.value }));
}
