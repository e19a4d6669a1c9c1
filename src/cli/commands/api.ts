/**
 * API commands: one `fortiflex-scaler` command per FortiFlex v2 request (DESIGN §8):
 * `programs list|points`, `configs list|create|update|enable|disable`,
 * `entitlements list|create|create-hardware|create-cloud|update|stop|reactivate|token|points|transfer`,
 * `groups list|next-token`, `tools calc`. `--json` prints the payload (v2 key names); otherwise a table.
 * Option values are validated before any request, and a bad one exits 2 with a message naming it.
 */
import { Command } from 'commander';
import {
  requestParametersOf,
  type EntitlementScope,
  type FortiFlexClient,
  type ParameterInput,
} from '../../lib/fortiflex';
import type {
  Config,
  Entitlement,
  EntitlementPoints,
  Group,
  PointsEstimate,
  Program,
  ProgramPoints,
} from '../../lib/fortiflex/types';
import { createClientFromEnvironment } from '../setup';
import { endDateOption, pacificDayOption } from '../date-options';
import { formatTable, printJson, UsageError, type CliIo } from '../io';
import { parseIntegerOption } from '../options';

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

type Options = Record<string, unknown>;

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

const ENTITLEMENT_COLUMNS = [
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

function int(options: Options, key: string, flag: string, min = 0): number | undefined {
  const value = options[key];
  return value === undefined ? undefined : parseIntegerOption(flag, String(value), { min });
}

function requiredInt(options: Options, key: string, flag: string, min = 0): number {
  const value = int(options, key, flag, min);
  if (value === undefined) throw new UsageError(`${flag}: required; expected an integer >= ${min}`);
  return value;
}

function str(options: Options, key: string): string | undefined {
  const value = options[key];
  return typeof value === 'string' ? value : undefined;
}

/** `--param ID=VALUE`, repeatable; list parameters repeat the id, an empty list is `ID=NONE`. */
function parameters(options: Options): ParameterInput[] {
  const raw = (options.param as string[] | undefined) ?? [];
  return raw.map((item) => {
    const match = /^\s*(\d+)\s*=(.*)$/.exec(item);
    if (!match) throw new UsageError(`--param: "${item}" is not valid; expected ID=VALUE, e.g. --param 1=4`);
    return { id: Number(match[1]), value: match[2]!.trim() };
  });
}

/** `--end-date` of the create and update commands (see {@link endDateOption}). */
function endDate(options: Options): string | null | undefined {
  return endDateOption(str(options, 'endDate'));
}

/** `--config-id N` or `--account-id N --program SN`; undefined when neither is given and `required` is false. */
function scopeOf(options: Options, required: true): EntitlementScope;
function scopeOf(options: Options, required: false): EntitlementScope | undefined;
function scopeOf(options: Options, required: boolean): EntitlementScope | undefined {
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

function compact<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** `--program SN` (required by the command) with an optional `--account-id N`. */
function programScope(options: Options): { programSerialNumber: string; accountId?: number } {
  return compact({
    programSerialNumber: str(options, 'program')!,
    accountId: int(options, 'accountId', '--account-id', 1),
  });
}

/**
 * Scope of `entitlements points`, as Fortinet's Postman collection sends it: `--config-id N` (optionally
 * with `--serial`), `--account-id N --serial SN`, or `--account-id N --program SN`.
 */
function pointsScope(options: Options): {
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
async function findConfig(api: ApiClient, id: number, program: string | undefined): Promise<Config> {
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

function printEntitlements(io: CliIo, json: boolean, items: Entitlement[] | Entitlement): void {
  if (json) return printJson(io, items);
  io.stdout(
    formatTable(
      (Array.isArray(items) ? items : [items]) as unknown as Record<string, unknown>[],
      ENTITLEMENT_COLUMNS,
    ),
  );
}

function printConfigs(io: CliIo, json: boolean, items: Config[] | Config): void {
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

function printRows<T>(
  io: CliIo,
  json: boolean,
  payload: T,
  rows: readonly T[],
  columns: readonly string[],
): void {
  if (json) return printJson(io, payload);
  io.stdout(formatTable(rows as unknown as Record<string, unknown>[], columns));
}

// ---- registration -------------------------------------------------------------------------------------------

/** Builds the registrar with its seams; `register` below is the production instance. */
export function createApiRegistrar(deps: ApiCommandDeps = {}): (program: Command, io: CliIo) => void {
  const createClient = deps.createClient ?? (() => createClientFromEnvironment(process.env));

  return (root: Command, io: CliIo): void => {
    /** Adds `--json` and wraps the handler so every command validates, then gets a client, then prints. */
    const leaf = (
      parent: Command,
      name: string,
      description: string,
      run: (client: () => Promise<ApiClient>, options: Options, json: boolean) => Promise<void>,
    ): Command =>
      parent
        .command(name)
        .description(description)
        .option('--json', 'print the payload as JSON (v2 key names)')
        .action(async (options: Options) => {
          let client: ApiClient | undefined;
          await run(async () => (client ??= await createClient()), options, options.json === true);
        });

    // programs
    const programs = root
      .command('programs')
      .description('programs of the API user and their points balance');
    leaf(
      programs,
      'list',
      'list the programs visible to the API user (programs/list)',
      async (client, _o, json) => {
        const items = await (await client()).listPrograms();
        printRows<Program | Program[]>(io, json, items, items, [
          'serialNumber',
          'accountId',
          'startDate',
          'endDate',
          'hasSupportCoverage',
        ]);
      },
    );
    leaf(
      programs,
      'points',
      'points balance of a prepaid program (programs/points; unverified: no Fortinet source documents it)',
      async (client, o, json) => {
        const q = programScope(o);
        const balance = await (await client()).getProgramPoints(q);
        printRows<ProgramPoints>(io, json, balance, [balance], ['serialNumber', 'pointBalance']);
      },
    )
      .requiredOption('--program <SN>', 'program serial number (ELAVMR…)')
      .option('--account-id <N>', 'account id');

    // configs
    const configs = root
      .command('configs')
      .description('configurations: list, create, update, enable, disable');
    leaf(configs, 'list', 'list the configurations of a program (configs/list)', async (client, o, json) => {
      const q = programScope(o);
      printConfigs(io, json, await (await client()).listConfigs(q));
    })
      .requiredOption('--program <SN>', 'program serial number')
      .option('--account-id <N>', 'account id (default: every account in scope)');
    leaf(configs, 'create', 'create a configuration (configs/create)', async (client, o, json) => {
      const q = compact({
        ...programScope(o),
        name: str(o, 'name')!,
        productTypeId: requiredInt(o, 'productType', '--product-type', 1),
        parameters: parameters(o),
      });
      printConfigs(io, json, await (await client()).createConfig(q));
    })
      .requiredOption('--program <SN>', 'program serial number')
      .option('--account-id <N>', 'account id')
      .requiredOption('--name <NAME>', 'configuration name (unique per account)')
      .requiredOption('--product-type <ID>', 'product type id, e.g. 1 = FortiGate-VM bundle')
      .option(
        '--param <ID=VALUE>',
        'parameter value; repeat for each (and per list item), e.g. --param 1=4',
        collect,
      );
    leaf(
      configs,
      'update',
      'rename a configuration or set its parameters (configs/update)',
      async (client, o, json) => {
        const id = requiredInt(o, 'id', '--id', 1);
        const name = str(o, 'name');
        let params = parameters(o);
        if (name === undefined && params.length === 0) {
          throw new UsageError('configs update: nothing to change; give --name and/or --param ID=VALUE');
        }
        const api = await client();
        // The API gets the complete parameter list every time (as every Fortinet tool sends it): a rename
        // sends the config's current parameters.
        if (params.length === 0) params = requestParametersOf(await findConfig(api, id, str(o, 'program')));
        printConfigs(io, json, await api.updateConfig(compact({ id, name, parameters: params })));
      },
    )
      .requiredOption('--id <N>', 'configuration id')
      .option('--name <NAME>', 'new name')
      .option('--param <ID=VALUE>', 'complete parameter set, repeatable', collect)
      .option(
        '--program <SN>',
        'program of the configuration, to read its current parameters for a rename (default: every program)',
      );
    for (const [name, verb] of [
      ['enable', 'enableConfig'],
      ['disable', 'disableConfig'],
    ] as const) {
      leaf(configs, name, `${name} a configuration (configs/${name})`, async (client, o, json) => {
        const id = requiredInt(o, 'id', '--id', 1);
        printConfigs(io, json, await (await client())[verb](id));
      }).requiredOption('--id <N>', 'configuration id');
    }

    // entitlements
    const entitlements = root
      .command('entitlements')
      .description('entitlements: list, create, change state, tokens, points');
    const withScope = (command: Command, purpose: string): Command =>
      command
        .option('--config-id <N>', `config id, ${purpose}`)
        .option('--account-id <N>', `account id (with --program), ${purpose}`)
        .option('--program <SN>', 'program serial number (with --account-id)');
    withScope(
      leaf(entitlements, 'list', 'list entitlements (entitlements/list)', async (client, o, json) => {
        const scope = scopeOf(o, true);
        const filters = compact({
          serialNumber: str(o, 'serial'),
          description: str(o, 'description'),
          status: str(o, 'status'),
          tokenStatus: str(o, 'tokenStatus'),
        });
        printEntitlements(io, json, await (await client()).listEntitlements(scope, filters));
      }),
      'the scope to list',
    )
      .option('--serial <SN>', 'only this serial number')
      .option('--description <TEXT>', 'only this exact description')
      .option('--status <STATUS>', 'only this status (PENDING, ACTIVE, STOPPED, EXPIRED)')
      .option('--token-status <STATUS>', 'only this token status (NOTUSED, USED)');
    leaf(
      entitlements,
      'create',
      'create VM entitlements (entitlements/vm/create)',
      async (client, o, json) => {
        const q = compact({
          configId: requiredInt(o, 'configId', '--config-id', 1),
          count: int(o, 'count', '--count', 1),
          description: str(o, 'description'),
          folderPath: str(o, 'folder'),
          endDate: endDate(o),
          skipPending: o.skipPending === true ? true : undefined,
        });
        printEntitlements(io, json, await (await client()).createVmEntitlements(q));
      },
    )
      .requiredOption('--config-id <N>', 'config id')
      .option('--count <N>', 'how many (default 1)')
      .option('--description <TEXT>', 'description')
      .option('--folder <PATH>', 'asset folder, e.g. "My Assets/pools"')
      .option('--end-date <DATE>', 'termination date (default: program end date)')
      .option('--skip-pending', 'start ACTIVE (charged) without waiting for the token to be used');
    leaf(
      entitlements,
      'create-hardware',
      'put hardware serials under FortiFlex (entitlements/hardware/create)',
      async (client, o, json) => {
        const serialNumbers = (o.serial as string[] | undefined) ?? [];
        if (serialNumbers.length === 0)
          throw new UsageError('--serial: required; repeat it for each device serial');
        const q = compact({
          configId: requiredInt(o, 'configId', '--config-id', 1),
          serialNumbers,
          endDate: endDate(o),
        });
        printEntitlements(io, json, await (await client()).createHardwareEntitlements(q));
      },
    )
      .requiredOption('--config-id <N>', 'config id')
      .option('--serial <SN>', 'device serial number, repeatable', collect)
      .option('--end-date <DATE>', 'termination date');
    leaf(
      entitlements,
      'create-cloud',
      'create a cloud-service entitlement (entitlements/cloud/create)',
      async (client, o, json) => {
        const q = compact({
          configId: requiredInt(o, 'configId', '--config-id', 1),
          description: str(o, 'description'),
          folderPath: str(o, 'folder'),
          endDate: endDate(o),
        });
        printEntitlements(io, json, await (await client()).createCloudEntitlement(q));
      },
    )
      .requiredOption('--config-id <N>', 'config id')
      .option('--description <TEXT>', 'description')
      .option('--folder <PATH>', 'asset folder')
      .option('--end-date <DATE>', 'termination date');
    leaf(
      entitlements,
      'update',
      'change config, description or end date (entitlements/update)',
      async (client, o, json) => {
        const serialNumber = str(o, 'serial')!;
        const description = str(o, 'description');
        const end = endDate(o);
        let configId = int(o, 'configId', '--config-id', 1);
        const accountId = int(o, 'accountId', '--account-id', 1);
        const program = str(o, 'program');
        if (configId === undefined && (accountId === undefined || program === undefined)) {
          throw new UsageError(
            '--config-id: required (the API needs the target config; give the current one to keep it), or give --account-id and --program to look it up',
          );
        }
        const api = await client();
        if (configId === undefined) {
          const [current] = await api.listEntitlements(
            { accountId: accountId!, programSerialNumber: program! },
            { serialNumber },
          );
          if (!current)
            throw new Error(`entitlements/list: ${serialNumber} not found in account ${accountId}`);
          configId = current.configId;
        }
        printEntitlements(
          io,
          json,
          await api.updateEntitlement(compact({ serialNumber, configId, description, endDate: end })),
        );
      },
    )
      .requiredOption('--serial <SN>', 'entitlement serial number')
      .option(
        '--config-id <N>',
        'target config id; give the current one to keep it (required unless --account-id and --program)',
      )
      .option('--account-id <N>', 'account id, to look up the current config')
      .option('--program <SN>', 'program serial number, to look up the current config')
      .option('--description <TEXT>', 'new description ("" clears it)')
      .option('--end-date <DATE>', 'new termination date');
    for (const [name, verb, state] of [
      ['stop', 'stopEntitlement', 'STOPPED'],
      ['reactivate', 'reactivateEntitlement', 'ACTIVE'],
    ] as const) {
      withScope(
        leaf(entitlements, name, `${name} an entitlement (entitlements/${name})`, async (client, o, json) => {
          const scope = scopeOf(o, false);
          const q = { serialNumber: str(o, 'serial')!, ...(scope ? { scope } : {}) };
          printEntitlements(io, json, await (await client())[verb](q));
        }).requiredOption('--serial <SN>', 'entitlement serial number'),
        `to confirm an "already ${state}" reply as success`,
      );
    }
    leaf(
      entitlements,
      'token',
      'regenerate the license token of a VM (entitlements/vm/token)',
      async (client, o, json) => {
        printEntitlements(
          io,
          json,
          await (await client()).regenerateToken({ serialNumber: str(o, 'serial')! }),
        );
      },
    ).requiredOption('--serial <SN>', 'entitlement serial number');
    leaf(
      entitlements,
      'points',
      'points used per entitlement over a date range (entitlements/points)',
      async (client, o, json) => {
        const q = compact({
          ...pointsScope(o),
          startDate: pacificDayOption('--from', str(o, 'from')),
          endDate: pacificDayOption('--to', str(o, 'to')),
        });
        if (q.startDate > q.endDate)
          throw new UsageError(`--to: ${q.endDate} is before --from ${q.startDate}`);
        const items = await (await client()).getEntitlementPoints(q);
        printRows<EntitlementPoints | EntitlementPoints[]>(io, json, items, items, [
          'serialNumber',
          'accountId',
          'points',
        ]);
      },
    )
      .option('--config-id <N>', 'every entitlement of this config (with --serial: only that one)')
      .option('--account-id <N>', 'account id, with --serial SN or --program SN')
      .option('--serial <SN>', 'only this entitlement')
      .option('--program <SN>', 'program serial number')
      .requiredOption(
        '--from <DATE>',
        'first Pacific day: YYYY-MM-DD, or an ISO 8601 date-time (its Pacific day is taken)',
      )
      .requiredOption('--to <DATE>', 'last Pacific day, same forms as --from');
    leaf(
      entitlements,
      'transfer',
      'move entitlements to another account (entitlements/transfer)',
      async (client, o, json) => {
        const serialNumbers = (o.serial as string[] | undefined) ?? [];
        const q = {
          sourceAccountId: requiredInt(o, 'sourceAccountId', '--source-account-id', 1),
          sourceConfigId: requiredInt(o, 'sourceConfigId', '--source-config-id', 1),
          targetAccountId: requiredInt(o, 'targetAccountId', '--target-account-id', 1),
          targetConfigId: requiredInt(o, 'targetConfigId', '--target-config-id', 1),
          serialNumbers,
        };
        if (serialNumbers.length === 0)
          throw new UsageError('--serial: required; repeat it for each serial number to move');
        printEntitlements(io, json, await (await client()).transferEntitlements(q));
      },
    )
      .requiredOption('--source-account-id <N>', 'account the entitlements are in')
      .requiredOption('--source-config-id <N>', 'their config')
      .requiredOption('--target-account-id <N>', 'account to move them to')
      .requiredOption('--target-config-id <N>', 'config in the target account')
      .option('--serial <SN>', 'serial number to move, repeatable (at least one)', collect);

    // groups
    const groups = root.command('groups').description('asset folders holding FortiFlex units');
    leaf(groups, 'list', 'list groups with token counts (groups/list)', async (client, o, json) => {
      const items = await (
        await client()
      ).listGroups(compact({ accountId: int(o, 'accountId', '--account-id', 1) }));
      printRows<Group | Group[]>(io, json, items, items, [
        'folderPath',
        'availableTokens',
        'usedTokens',
        'accountId',
      ]);
    }).option('--account-id <N>', 'account id');
    leaf(
      groups,
      'next-token',
      'the next entitlement with an unused token (groups/nexttoken)',
      async (client, o, json) => {
        const statuses = (o.status as string[] | undefined) ?? [];
        const q = compact({
          folderPath: str(o, 'folder'),
          configId: int(o, 'configId', '--config-id', 1),
          accountId: int(o, 'accountId', '--account-id', 1),
          status: statuses.length > 0 ? statuses : undefined,
        });
        if (q.folderPath === undefined && q.configId === undefined && q.accountId === undefined) {
          throw new UsageError(
            'groups next-token: give at least one of --folder P, --config-id N, --account-id N',
          );
        }
        const next = await (await client()).nextToken(q);
        if (json) return printJson(io, next);
        if (next === null) {
          io.stdout('no entitlement with an unused token\n');
          return;
        }
        printEntitlements(io, false, next);
      },
    )
      .option('--folder <PATH>', 'asset folder, e.g. "My Assets/pools/vmss-fgt"')
      .option('--config-id <N>', 'config id')
      .option('--account-id <N>', 'account id')
      .option('--status <STATUS>', 'entitlement status to consider, repeatable (e.g. PENDING)', collect);

    // tools
    const tools = root.command('tools').description('points calculator');
    leaf(tools, 'calc', 'points per day for a configuration (tools/calc)', async (client, o, json) => {
      const params = parameters(o);
      if (params.length === 0) throw new UsageError('--param: required; e.g. --param 1=2 --param 2=ENT');
      const q = compact({
        programSerialNumber: str(o, 'program')!,
        productTypeId: requiredInt(o, 'productType', '--product-type', 1),
        parameters: params,
        count: int(o, 'count', '--count', 1),
      });
      const estimate = await (await client()).calculatePoints(q);
      printRows<PointsEstimate>(io, json, estimate, [estimate], ['current', 'latest', 'latestEffectiveDate']);
    })
      .requiredOption('--program <SN>', 'program serial number')
      .requiredOption('--product-type <ID>', 'product type id')
      .option('--param <ID=VALUE>', 'parameter value, repeatable', collect)
      .option('--count <N>', 'number of units (1 for cloud products)');
  };
}

/** The API command family, with a client built from the environment (DESIGN §7). */
export const register = createApiRegistrar();
