/** `fortiflex-scaler configs …`: the FortiFlex configs requests. */
import { UsageError } from '../../io';
import { requestParametersOf } from '../../../lib/fortiflex';
import {
  collect,
  compact,
  findConfig,
  parameters,
  printConfigs,
  programScope,
  requiredInt,
  str,
  type ResourceRegistrar,
} from './shared';

/** Adds the `configs` commands. */
export const registerConfigs: ResourceRegistrar = (root, leaf, io) => {
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
};
