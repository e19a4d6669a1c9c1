/** `fortiflex-scaler groups …`: the FortiFlex groups requests. */
import { UsageError, printJson } from '../../io';
import type { Group } from '../../../lib/fortiflex/types';
import { collect, compact, int, printEntitlements, printRows, str, type ResourceRegistrar } from './shared';

/** Adds the `groups` commands. */
export const registerGroups: ResourceRegistrar = (root, leaf, io) => {
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
};
