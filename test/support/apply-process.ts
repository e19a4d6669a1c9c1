/**
 * `fortiflex-scaler apply --policy FILE` as a process of its own, for kill tests: the real command over
 * dependencies from the environment (FortiFlex URLs and credentials, `AzureWebJobsStorage`), with the store
 * prefix from `PREFIX` and the run clock fixed at `NOW` (the simulated instant). It prints `ready` when its
 * dependencies are built and the run starts, then what `apply` prints; exit 0, or 1 with the error.
 *
 * Run with `node --import tsx test/support/apply-process.ts <policy file>`.
 */
import { Command } from 'commander';
import { createAppDependencies } from '../../src/app/dependencies';
import { createApplyRegistrar } from '../../src/cli/commands/apply';
import { processIo } from '../../src/cli/io';

async function main(): Promise<number> {
  const policyFile = process.argv[2];
  const prefix = process.env.PREFIX;
  const now = new Date(process.env.NOW ?? '');
  if (!policyFile || !prefix || Number.isNaN(now.getTime())) {
    throw new Error('apply-process: expected a policy file argument, PREFIX and NOW');
  }
  const program = new Command('fortiflex-scaler').exitOverride();
  createApplyRegistrar({
    createDependencies: async (policy) => {
      const deps = await createAppDependencies({
        env: process.env,
        policy,
        storePrefix: prefix,
        now: () => now,
      });
      process.stdout.write('ready\n');
      return deps;
    },
  })(program, processIo);
  await program.parseAsync(['node', 'fortiflex-scaler', 'apply', '--policy', policyFile]);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
