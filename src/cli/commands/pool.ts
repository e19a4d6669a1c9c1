/**
 * `fortiflex-scaler pool status|claim|release|scale --policy F --pool NAME [--instance ID] [--desired N]
 * [--json]`: inspect and repair license pools from a shell, through the same use cases and the same storage
 * (`AzureWebJobsStorage`) as the functions, so a CLI claim obeys the same guarantees as an HTTP claim.
 * Tokens are printed only by `pool claim` (handing one out is its job); no other command shows them.
 */
import type { Command } from 'commander';
import { createAppDependencies } from '../../app/dependencies';
import * as claims from '../../app/pools/claims';
import type { PoolDeps } from '../../app/pools/deps';
import { loadInventory } from '../../app/pools/inventory';
import { isMarkedForRelease, releaseDueAt, type PoolInventory } from '../../app/pools/membership';
import { findPool } from '../../app/pools/records';
import { releaseClaim, type ReleaseOutcome } from '../../app/pools/release';
import { applyScaleMessage, type ScaleOutcome } from '../../app/pools/worker';
import type { Policy } from '../../lib/rules';
import { formatTable, printJson, UsageError, type CliIo } from '../io';
import { parseIntegerOption } from '../options';
import { loadPolicyFile, readTextFile, withSettings } from '../setup';

/** Seams of the pool commands; production defaults read the environment and the file system. */
export interface PoolCommandDeps {
  env?: NodeJS.ProcessEnv;
  readTextFile?: (path: string) => Promise<string>;
  /** Builds the use-case dependencies for `policy` (default: settings, client and store from `env`). */
  createDeps?: (policy: Policy) => Promise<PoolDeps>;
}

interface CommonOptions {
  policy: string;
  pool: string;
  json?: boolean;
}

function defaultDeps(policy: Policy, env: NodeJS.ProcessEnv): Promise<PoolDeps> {
  return createAppDependencies({ env, policy });
}

const runId = (): string => `cli-${new Date().toISOString()}`;

/** The `--instance` value, normalized as the claim endpoints do; bad usage names the option. */
function instanceOf(value: string | undefined): string {
  if (value === undefined)
    throw new UsageError('--instance: required; expected the VM name, e.g. vmss-fgt_3');
  try {
    return claims.normalizeInstanceId(value);
  } catch (error) {
    throw new UsageError(`--instance: ${(error as Error).message.replace(/^instanceId: /, '')}`);
  }
}

/** The pool family as a registrar with its seams filled in. */
export function createPoolRegistrar(seams: PoolCommandDeps = {}): (program: Command, io: CliIo) => void {
  const env = seams.env ?? process.env;
  const read = seams.readTextFile ?? readTextFile;
  const createDeps = seams.createDeps ?? ((policy: Policy) => defaultDeps(policy, env));

  async function prepare(options: CommonOptions, io: CliIo): Promise<{ deps: PoolDeps; policy: Policy }> {
    const policy = await loadPolicyFile(options.policy, io, read);
    if (!policy.pools.some((pool) => pool.name === options.pool)) {
      const names = policy.pools.map((pool) => pool.name).join(', ') || 'none';
      throw new UsageError(
        `--pool: "${options.pool}" is not a pool of ${options.policy}; expected one of: ${names}`,
      );
    }
    return { deps: await withSettings(() => createDeps(policy), io), policy };
  }

  return (program, io) => {
    const pool = program
      .command('pool')
      .description('inspect and repair license pools (claims and capacity)');
    const common = (command: Command): Command =>
      command
        .requiredOption('--policy <file>', 'policy file (YAML or JSON)')
        .requiredOption('--pool <name>', 'pool name from the policy')
        .option('--json', 'print JSON');

    common(pool.command('status').description('members, claims, size and bounds of a pool')).action(
      async (options: CommonOptions) => {
        const { deps, policy } = await prepare(options, io);
        const target = findPool(policy, options.pool);
        const inventory: PoolInventory = await loadInventory(deps, policy, target, deps.now());
        const members = inventory.members.map((member) => ({
          serialNumber: member.entitlement.serialNumber,
          status: member.entitlement.status,
          role: member.role,
          instanceId: member.claim?.instanceId,
          claimedAt: member.claim?.claimedAt,
          expiresAt: member.claim?.expiresAt,
          releaseDueAt:
            isMarkedForRelease(member.record) && member.record?.lastActionAt
              ? releaseDueAt(target, new Date(member.record.lastActionAt)).toISOString()
              : undefined,
          lastAction: member.record?.lastAction,
          lastError: member.record?.lastError,
        }));
        const summary = {
          pool: target.name,
          at: inventory.at.toISOString(),
          bounds: inventory.bounds,
          size: inventory.size,
          claimed: inventory.claimed,
          inUseOutsideClaims: inventory.inUse,
          active: inventory.active,
          orphanClaims: inventory.orphanClaims.map((c) => ({
            instanceId: c.instanceId,
            serialNumber: c.serialNumber,
          })),
          members,
        };
        if (options.json) return printJson(io, summary);
        io.stdout(
          `pool ${summary.pool}: size ${summary.size} (min ${summary.bounds.min}, max ${summary.bounds.max}), ` +
            `${summary.claimed} claimed, ${summary.inUseOutsideClaims} in use outside claims, ` +
            `${summary.active} active\n`,
        );
        io.stdout(
          formatTable(members, [
            'serialNumber',
            'status',
            'role',
            'instanceId',
            'claimedAt',
            'releaseDueAt',
            'lastError',
          ]),
        );
        if (summary.inUseOutsideClaims > 0) {
          io.stdout(
            `${summary.inUseOutsideClaims} license(s) in use outside claims (ACTIVE, token used, no claim): ` +
              'never handed out or stopped by the pool; once such a VM is gone, regenerate the token ' +
              '(fortiflex-scaler entitlements token --serial <SN>) to return it to the pool\n',
          );
        }
        for (const orphan of summary.orphanClaims) {
          io.stdout(
            `claim of ${orphan.instanceId} names ${orphan.serialNumber}, which is not a pool member\n`,
          );
        }
      },
    );

    common(pool.command('claim').description('claim a license for an instance (prints its token)'))
      .option('--instance <id>', 'instance id: the VM name')
      .action(async (options: CommonOptions & { instance?: string }) => {
        const instanceId = instanceOf(options.instance);
        const { deps } = await prepare(options, io);
        const outcome: claims.ClaimOutcome = await claims.claimLicense(deps, options.pool, instanceId, {
          runId: runId(),
          actor: 'cli',
        });
        const result = { serialNumber: outcome.serialNumber, token: outcome.token, status: outcome.status };
        if (options.json) return printJson(io, result);
        io.stdout(formatTable([result], ['serialNumber', 'status', 'token']));
      });

    common(pool.command('release').description('release the license of an instance'))
      .option('--instance <id>', 'instance id: the VM name')
      .option('--regenerate-token', "regenerate the token so the departed instance's token is dead")
      .action(async (options: CommonOptions & { instance?: string; regenerateToken?: boolean }) => {
        const instanceId = instanceOf(options.instance);
        const { deps } = await prepare(options, io);
        const outcome: ReleaseOutcome = await releaseClaim(deps, options.pool, instanceId, {
          runId: runId(),
          actor: 'cli',
          regenerateToken: options.regenerateToken === true,
        });
        if (options.json) return printJson(io, { pool: options.pool, instanceId, status: outcome });
        io.stdout(`${instanceId}: ${outcome === 'released' ? 'released' : 'already released'}\n`);
      });

    common(pool.command('scale').description('set the size of a pool now (within the bounds in force)'))
      .option('--desired <n>', 'desired number of licenses')
      .action(async (options: CommonOptions & { desired?: string }) => {
        if (options.desired === undefined)
          throw new UsageError('--desired: required; expected an integer >= 0');
        const desired = parseIntegerOption('--desired', options.desired, { min: 0 });
        const { deps } = await prepare(options, io);
        const outcome: ScaleOutcome = await applyScaleMessage(
          deps,
          {
            v: 1,
            kind: 'scale',
            pool: options.pool,
            change: { desired },
            source: 'cli',
            reason: `pool scale --desired ${desired}`,
            receivedAt: deps.now().toISOString(),
          },
          { runId: runId(), actor: 'cli', leaseWaitMs: 20_000 },
        );
        if (options.json) return printJson(io, outcome);
        io.stdout(
          `pool ${outcome.pool}: size ${outcome.before} -> ${outcome.after} (target ${outcome.target}, ` +
            `bounds ${outcome.bounds.min}..${outcome.bounds.max})\n`,
        );
        const rows = [
          ...outcome.applied.map((step) => ({ step: step.kind, detail: describe(step), outcome: 'done' })),
          ...outcome.failed.map((f) => ({
            step: f.step.kind,
            detail: describe(f.step),
            outcome: `failed: ${f.error}`,
          })),
        ];
        if (rows.length > 0) io.stdout(formatTable(rows, ['step', 'detail', 'outcome']));
        if (outcome.failed.length > 0)
          throw new Error(`${outcome.failed.length} pool step(s) failed (listed above)`);
      });
  };
}

function describe(step: ScaleOutcome['applied'][number]): string {
  if ('serialNumber' in step) return step.serialNumber;
  if (step.kind === 'create') return `${step.count} new`;
  return `${step.from} -> ${step.to}`;
}

/** The registered family (environment and file system). */
export const register = createPoolRegistrar();
