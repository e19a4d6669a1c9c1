/** `fortiflex-scaler tools …`: the FortiFlex tools requests. */
import { UsageError } from '../../io';
import type { PointsEstimate } from '../../../lib/fortiflex/types';
import {
  collect,
  compact,
  int,
  parameters,
  printRows,
  requiredInt,
  str,
  type ResourceRegistrar,
} from './shared';

/** Adds the `tools` commands. */
export const registerTools: ResourceRegistrar = (root, leaf, io) => {
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
