/**
 * The `fortiflex-scaler` command line. Each command family lives in `src/cli/commands/` and registers itself
 * on the root program; this module only wires them together and maps outcomes to exit codes:
 * 0 success, 1 API or runtime error, 2 bad usage or invalid input.
 */
import { Command, CommanderError } from 'commander';
import { processIo, UsageError, type CliIo } from './io';
import { register as registerSimulator } from './commands/simulator';
import { register as registerPlan } from './commands/plan';
import { register as registerForecast } from './commands/forecast';
import { register as registerApi } from './commands/api';
import { register as registerAudit } from './commands/audit';
import { register as registerApply } from './commands/apply';
import { register as registerDemo } from './commands/demo';
import { register as registerPool } from './commands/pool';
import { register as registerValidate } from './commands/validate';
import { register as registerStatus } from './commands/status';
import { register as registerPoolDelivery } from './commands/pool-delivery';

/** A module that adds its commands to the root program. */
export type CommandRegistrar = (program: Command, io: CliIo) => void;

const registrars: CommandRegistrar[] = [
  registerApi,
  registerSimulator,
  registerPlan,
  registerForecast,
  registerAudit,
  registerApply,
  registerDemo,
  registerPool,
  registerValidate,
  registerStatus,
  registerPoolDelivery,
];

/** Builds the root program with every command family registered, writing through `io`. */
export function buildProgram(io: CliIo = processIo): Command {
  const program = new Command('fortiflex-scaler')
    .description('run FortiFlex FortiGate-VM entitlements at the lowest points cost')
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  for (const register of registrars) register(program, io);
  return program;
}

/**
 * Parses `argv` with `program` and resolves to the exit code (0 success, 1 API or runtime error, 2 bad usage).
 * Never throws: every error becomes a one-line message on `io.stderr`. `program` must use `exitOverride()`.
 */
export async function runProgram(program: Command, argv: readonly string[], io: CliIo): Promise<number> {
  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed its own message (help, version, or the usage problem).
      return error.exitCode === 0 ? 0 : 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`fortiflex-scaler: ${message.split('\n')[0]}\n`);
    return error instanceof UsageError ? 2 : 1;
  }
}

/**
 * Runs the CLI with `argv` (as in `process.argv`) and resolves to the exit code. Never throws: every error
 * becomes a one-line message on stderr.
 */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  return runProgram(buildProgram(io), argv, io);
}

if (require.main === module) {
  void main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
