/**
 * API commands: one `fortiflex-scaler` command per FortiFlex v2 request:
 * `programs list|points`, `configs list|create|update|enable|disable`,
 * `entitlements list|create|create-hardware|create-cloud|update|stop|reactivate|token|points|transfer`,
 * `groups list|next-token`, `tools calc`. `--json` prints the payload (v2 key names); otherwise a table.
 * Option values are validated before any request, and a bad one exits 2 with a message naming it.
 */
import type { Command } from 'commander';
import { createClientFromEnvironment } from '../setup';
import type { CliIo } from '../io';
import { registerConfigs } from './api/configs';
import { registerEntitlements } from './api/entitlements';
import { registerGroups } from './api/groups';
import { registerPrograms } from './api/programs';
import type { AddLeaf, ApiClient, ApiCommandDeps, Options } from './api/shared';
import { registerTools } from './api/tools';

export type { ApiClient, ApiCommandDeps } from './api/shared';

/** Builds the registrar with its seams; `register` below is the production instance. */
export function createApiRegistrar(deps: ApiCommandDeps = {}): (program: Command, io: CliIo) => void {
  const createClient = deps.createClient ?? (() => createClientFromEnvironment(process.env));

  return (root: Command, io: CliIo): void => {
    /** Adds `--json` and wraps the handler so every command validates, then gets a client, then prints. */
    const leaf: AddLeaf = (parent, name, description, run) =>
      parent
        .command(name)
        .description(description)
        .option('--json', 'print the payload as JSON (v2 key names)')
        .action(async (options: Options) => {
          let client: ApiClient | undefined;
          await run(async () => (client ??= await createClient()), options, options.json === true);
        });

    for (const add of [
      registerPrograms,
      registerConfigs,
      registerEntitlements,
      registerGroups,
      registerTools,
    ]) {
      add(root, leaf, io);
    }
  };
}

/** The API command family, with a client built from the environment. */
export const register = createApiRegistrar();
