/**
 * What the API commands share: the client they call, option parsing (values validated before any request; a
 * bad one exits 2 naming it) and table output.
 */
import type { Command } from 'commander';
import type { EntitlementScope, FortiFlexClient, ParameterInput } from '../../../lib/fortiflex';
import type { Config, Entitlement } from '../../../lib/fortiflex/types';
import { endDateOption } from '../../date-options';
import { formatTable, printJson, UsageError, type CliIo } from '../../io';
import { parseIntegerOption } from '../../options';

/** The client methods the API commands call. */
export type ApiClient = Pick<
  FortiFlexClient,
  | 'listPrograms'
  | 'getProgramPoints'
  | 'listConfigs'
  | 'createConfig'
  | 'updateConfig'
  | 'enableConfig'
  | 'disableConfig'
  | 'listEntitlements'
  | 'createVmEntitlements'
  | 'createHardwareEntitlements'
  | 'createCloudEntitlement'
  | 'updateEntitlement'
  | 'stopEntitlement'
  | 'reactivateEntitlement'
  | 'regenerateToken'
  | 'getEntitlementPoints'
  | 'transferEntitlements'
  | 'listGroups'
  | 'nextToken'
  | 'calculatePoints'
>;

/** Seams of the API commands. */
export interface ApiCommandDeps {
  /** @default createClientFromEnvironment(process.env) */
  createClient?: () => Promise<ApiClient>;
}

/** Parsed options of one command. */
export type Options = Record<string, unknown>;

export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export const ENTITLEMENT_COLUMNS = [
  'serialNumber',
  'status',
  'configId',
  'accountId',
  'description',
  'tokenStatus',
  'token',
  'endDate',
];

// ---- option parsing -----------------------------------------------------------------------------------------

export function int(options: Options, key: string, flag: string, min = 0): number | undefined {
  const value = options[key];
  return value === undefined ? undefined : parseIntegerOption(flag, String(value), { min });
}

export function requiredInt(options: Options, key: string, flag: string, min = 0): number {
  const value = int(options, key, flag, min);
  if (value === undefined) throw new UsageError(`${flag}: required; expected an integer >= ${min}`);
  return value;
}

export function str(options: Options, key: string): string | undefined {
  const value = options[key];
  return typeof value === 'string' ? value : undefined;
}

/** `--param ID=VALUE`, repeatable; list parameters repeat the id, an empty list is `ID=NONE`. */
export function parameters(options: Options): ParameterInput[] {
  const raw = (options.param as string[] | undefined) ?? [];
  return raw.map((item) => {
    const match = /^\s*(\d+)\s*=(.*)$/.exec(item);
    if (!match) throw new UsageError(`--param: "${item}" is not valid; expected ID=VALUE, e.g. --param 1=4`);
    return { id: Number(match[1]), value: match[2]!.trim() };
  });
}

/** `--end-date` of the create and update commands (see {@link endDateOption}). */
export function endDate(options: Options): string | null | undefined {
  return endDateOption(str(options, 'endDate'));
}

/** `--config-id N` or `--account-id N --program SN`; undefined when neither is given and `required` is false. */
export function scopeOf(options: Options, required: true): EntitlementScope;
export function scopeOf(options: Options, required: false): EntitlementScope | undefined;
export function scopeOf(options: Options, required: boolean): EntitlementScope | undefined {
  const configId = int(options, 'configId', '--config-id', 1);
  const accountId = int(options, 'accountId', '--account-id', 1);
  const program = str(options, 'program');
  if (configId !== undefined) {
    return {
      configId,
      ...(accountId === undefined ? {} : { accountId }),
      ...(program === undefined ? {} : { programSerialNumber: program }),
    };
  }
  if (accountId !== undefined && program !== undefined) return { accountId, programSerialNumber: program };
  if (accountId !== undefined || program !== undefined || required) {
    throw new UsageError('scope: give --config-id N, or both --account-id N and --program SN');
  }
  return undefined;
}

export function compact<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** `--program SN` (required by the command) with an optional `--account-id N`. */
export function programScope(options: Options): { programSerialNumber: string; accountId?: number } {
  return compact({
    programSerialNumber: str(options, 'program')!,
    accountId: int(options, 'accountId', '--account-id', 1),
  });
}

/**
 * Scope of `entitlements points`, as Fortinet's Postman collection sends it: `--config-id N` (optionally
 * with `--serial`), `--account-id N --serial SN`, or `--account-id N --program SN`.
 */
export function pointsScope(options: Options): {
  configId?: number;
  accountId?: number;
  serialNumber?: string;
  programSerialNumber?: string;
} {
  const scope = compact({
    configId: int(options, 'configId', '--config-id', 1),
    accountId: int(options, 'accountId', '--account-id', 1),
    serialNumber: str(options, 'serial'),
    programSerialNumber: str(options, 'program'),
  });
  const accountScoped =
    scope.accountId !== undefined &&
    (scope.serialNumber !== undefined || scope.programSerialNumber !== undefined);
  if (scope.configId === undefined && !accountScoped) {
    throw new UsageError(
      'scope: give --config-id N, --account-id N with --serial SN, or --account-id N with --program SN',
    );
  }
  return scope;
}

/** Finds configuration `id` in `program` (or in every program the API user sees). */
export async function findConfig(api: ApiClient, id: number, program: string | undefined): Promise<Config> {
  const programs = program === undefined ? (await api.listPrograms()).map((p) => p.serialNumber) : [program];
  for (const serialNumber of programs) {
    const found = (await api.listConfigs({ programSerialNumber: serialNumber })).find((c) => c.id === id);
    if (found) return found;
  }
  throw new Error(
    `configs/list: configuration ${id} not found in ${program === undefined ? 'any program' : `program ${program}`}; give --param ID=VALUE to send the parameters yourself`,
  );
}

// ---- output -------------------------------------------------------------------------------------------------

export function printEntitlements(io: CliIo, json: boolean, items: Entitlement[] | Entitlement): void {
  if (json) return printJson(io, items);
  io.stdout(
    formatTable(
      (Array.isArray(items) ? items : [items]) as unknown as Record<string, unknown>[],
      ENTITLEMENT_COLUMNS,
    ),
  );
}

export function printConfigs(io: CliIo, json: boolean, items: Config[] | Config): void {
  if (json) return printJson(io, items);
  const rows = (Array.isArray(items) ? items : [items]).map((config) => ({
    id: config.id,
    name: config.name,
    status: config.status,
    productType: `${config.productType.id} ${config.productType.name}`.trim(),
    accountId: config.accountId,
    parameters: config.parameters.map((p) => `${p.id}=${p.value}`).join(' '),
  }));
  io.stdout(formatTable(rows, ['id', 'name', 'status', 'productType', 'accountId', 'parameters']));
}

export function printRows<T>(
  io: CliIo,
  json: boolean,
  payload: T,
  rows: readonly T[],
  columns: readonly string[],
): void {
  if (json) return printJson(io, payload);
  io.stdout(formatTable(rows as unknown as Record<string, unknown>[], columns));
}

/** Adds one API command under `parent`: `--json`, then the handler with a lazily built client. */
export type AddLeaf = (
  parent: Command,
  name: string,
  description: string,
  run: (client: () => Promise<ApiClient>, options: Options, json: boolean) => Promise<void>,
) => Command;

/** A resource's registrar: adds its commands to `root` through `leaf`. */
export type ResourceRegistrar = (root: Command, leaf: AddLeaf, io: CliIo) => void;
