/**
 * `fortiflex-scaler pool sync|adopt --policy F --pool NAME [--json]`: licence delivery from a shell, through
 * the same use case and storage as the functions (`AzureWebJobsStorage`, the ARM settings, the FortiFlex
 * settings, and the FortiOS API key from Key Vault or `FORTIGATE_API_KEY`). `sync` discovers, licenses,
 * confirms, adopts and releases once; `adopt` only adopts FortiGates that already run a licence. Both print
 * per instance what happened; `--json` prints `{ "instances": [ { instanceId, serialNumber, state, detail } ] }`.
 * Neither ever prints a token or the API key. Adds its subcommands to the `pool` command.
 */
import { Command } from 'commander';
import { createAppDependencies } from '../../app/dependencies';
import type { PoolDeps } from '../../app/pools/deps';
import { adoptPool, syncPool, type SyncReport } from '../../app/pools/sync';
import type { Policy } from '../../lib/rules';
import { formatTable, printJson, UsageError, type CliIo } from '../io';
import { loadPolicyFile, readTextFile, withSettings } from '../setup';

/** Seams of the delivery commands; production defaults read the environment and the file system. */
export interface PoolDeliveryCommandDeps {
  env?: NodeJS.ProcessEnv;
  readTextFile?: (path: string) => Promise<string>;
  /** Builds the use-case dependencies for `policy` (default: settings, clients and store from `env`). */
  createDeps?: (policy: Policy) => Promise<PoolDeps>;
}

interface Options {
  policy: string;
  pool: string;
  json?: boolean;
}

/** The `pool` command, found or added (the pool family usually registers it first). */
function poolCommand(program: Command): Command {
  return (
    program.commands.find((command) => command.name() === 'pool') ??
    program.command('pool').description('inspect and repair license pools (claims and capacity)')
  );
}

/** Prints a report; throws after printing when the sync could not run or an instance failed. */
function print(io: CliIo, report: SyncReport, json: boolean | undefined): void {
  const instances = report.instances.map((i) => ({
    instanceId: i.instanceId,
    serialNumber: i.serialNumber ?? null,
    state: i.state,
    detail: i.detail,
  }));
  if (json) printJson(io, { instances });
  else if (instances.length === 0) io.stdout(`pool ${report.pool}: the scale set lists no instances\n`);
  else io.stdout(formatTable(instances, ['instanceId', 'serialNumber', 'state', 'detail']));
  for (const warning of report.warnings) io.stderr(`warning: ${warning}\n`);
  if (!json && report.created.length > 0) io.stdout(`created ${report.created.join(', ')}\n`);
  if (!json && report.retryInSeconds !== undefined)
    io.stdout(`pending deliveries are retried in ${report.retryInSeconds} s (queued)\n`);
  if (report.error) throw new Error(report.error);
  const failed = instances.filter((i) => i.state === 'failed').length;
  if (failed > 0) throw new Error(`${failed} instance(s) failed (listed above)`);
}

/** The delivery commands as a registrar with their seams filled in. */
export function createPoolDeliveryRegistrar(
  seams: PoolDeliveryCommandDeps = {},
): (program: Command, io: CliIo) => void {
  const env = seams.env ?? process.env;
  const read = seams.readTextFile ?? readTextFile;
  const createDeps =
    seams.createDeps ?? ((policy: Policy): Promise<PoolDeps> => createAppDependencies({ env, policy }));

  async function prepare(options: Options, io: CliIo): Promise<PoolDeps> {
    const policy = await loadPolicyFile(options.policy, io, read);
    const pool = policy.pools.find((candidate) => candidate.name === options.pool);
    if (!pool) {
      const names = policy.pools.map((candidate) => candidate.name).join(', ') || 'none';
      throw new UsageError(
        `--pool: "${options.pool}" is not a pool of ${options.policy}; expected one of: ${names}`,
      );
    }
    if (!pool.fortigate || !pool.scaleSet)
      throw new UsageError(
        `--pool: "${options.pool}" has no licence delivery; expected pools[].fortigate and pools[].scaleSet.resourceId in ${options.policy}`,
      );
    return withSettings(() => createDeps(policy), io);
  }

  const runId = (): string => `cli-${new Date().toISOString()}`;

  return (program, io) => {
    const pool = poolCommand(program);
    const common = (command: Command): Command =>
      command
        .requiredOption('--policy <file>', 'policy file (YAML or JSON)')
        .requiredOption('--pool <name>', 'pool name from the policy')
        .option('--json', 'print JSON');
    common(
      pool
        .command('sync')
        .description(
          'deliver licences to new FortiGates, confirm them, adopt licensed ones, release gone ones',
        ),
    ).action(async (options: Options) => {
      const deps = await prepare(options, io);
      print(
        io,
        await syncPool(deps, options.pool, { runId: runId(), actor: 'cli', leaseWaitMs: 20_000 }),
        options.json,
      );
    });
    common(
      pool
        .command('adopt')
        .description('bind running licensed FortiGates to their entitlements; nothing else'),
    ).action(async (options: Options) => {
      const deps = await prepare(options, io);
      print(
        io,
        await adoptPool(deps, options.pool, { runId: runId(), actor: 'cli', leaseWaitMs: 20_000 }),
        options.json,
      );
    });
  };
}

/** The registered commands (environment and file system). */
export const register = createPoolDeliveryRegistrar();
