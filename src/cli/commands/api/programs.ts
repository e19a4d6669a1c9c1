/** `fortiflex-scaler programs …`: the FortiFlex programs requests. */
import type { Program, ProgramPoints } from '../../../lib/fortiflex/types';
import { printRows, programScope, type ResourceRegistrar } from './shared';

/** Adds the `programs` commands. */
export const registerPrograms: ResourceRegistrar = (root, leaf, io) => {
  const programs = root.command('programs').description('programs of the API user and their points balance');
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
};
