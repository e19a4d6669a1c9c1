/** `fortiflex-scaler entitlements …`: the FortiFlex entitlements requests. */
import type { Command } from 'commander';
import { UsageError } from '../../io';
import { pacificDayOption } from '../../date-options';
import type { EntitlementPoints } from '../../../lib/fortiflex/types';
import {
  collect,
  compact,
  endDate,
  int,
  pointsScope,
  printEntitlements,
  printRows,
  requiredInt,
  scopeOf,
  str,
  type ResourceRegistrar,
} from './shared';

/** Adds the `entitlements` commands. */
export const registerEntitlements: ResourceRegistrar = (root, leaf, io) => {
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
  leaf(entitlements, 'create', 'create VM entitlements (entitlements/vm/create)', async (client, o, json) => {
    const q = compact({
      configId: requiredInt(o, 'configId', '--config-id', 1),
      count: int(o, 'count', '--count', 1),
      description: str(o, 'description'),
      folderPath: str(o, 'folder'),
      endDate: endDate(o),
      skipPending: o.skipPending === true ? true : undefined,
    });
    printEntitlements(io, json, await (await client()).createVmEntitlements(q));
  })
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
        if (!current) throw new Error(`entitlements/list: ${serialNumber} not found in account ${accountId}`);
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
      if (q.startDate > q.endDate) throw new UsageError(`--to: ${q.endDate} is before --from ${q.startDate}`);
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
};
