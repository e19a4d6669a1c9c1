/**
 * Driving CLI command families in-process: one registrar on its own program with `main`'s exit-code mapping,
 * and the environment that points the CLI's client factory at a running simulator.
 */
import { Command } from 'commander';
import { vi } from 'vitest';
import { type CliIo } from '../../src/cli/io';
import { runProgram, type CommandRegistrar } from '../../src/cli/main';
import type { SimulatorHandle } from '../../src/simulator';

/**
 * Runs `fortiflex-scaler ARGS` on a program carrying only `register`'s commands (so tests can inject seams)
 * and resolves to the exit code `main` would give.
 */
export function runRegistrar(register: CommandRegistrar, args: string[], io: CliIo): Promise<number> {
  const program = new Command('fortiflex-scaler').exitOverride().configureOutput({
    writeOut: io.stdout,
    writeErr: io.stderr,
  });
  register(program, io);
  return runProgram(program, ['node', 'fortiflex-scaler', ...args], io);
}

/**
 * Stubs the environment so `createClientFromEnvironment` talks to `sim` with its credentials (no Key Vault).
 * Undo with `vi.unstubAllEnvs()`.
 */
export function stubSimulatorEnv(sim: SimulatorHandle): void {
  vi.stubEnv('FORTIFLEX_API_URL', sim.apiUrl);
  vi.stubEnv('FORTIFLEX_AUTH_URL', sim.authUrl);
  vi.stubEnv('FORTIFLEX_ACCESS_USERNAME', sim.credentials.username);
  vi.stubEnv('FORTIFLEX_ACCESS_PASSWORD', sim.credentials.password);
  vi.stubEnv('KEY_VAULT_URL', '');
}
