/** Shared by the plan and forecast CLI tests. */
import { Command, CommanderError } from 'commander';
import { UsageError, type CliIo } from '../../src/cli/io';

/** Output captured in memory. */
export function captureIo(): CliIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stdout: (text: string) => void (io.out += text),
    stderr: (text: string) => void (io.err += text),
  };
  return io;
}

/** Runs one registrar the way `main` does (same exit-code mapping), for injected seams. */
export async function runWith(
  register: (program: Command, io: CliIo) => void,
  args: string[],
  io: CliIo,
): Promise<number> {
  const program = new Command('fortiflex-scaler').exitOverride().configureOutput({
    writeOut: io.stdout,
    writeErr: io.stderr,
  });
  register(program, io);
  try {
    await program.parseAsync(['node', 'fortiflex-scaler', ...args]);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    io.stderr(`fortiflex-scaler: ${(error as Error).message.split('\n')[0]}\n`);
    return error instanceof UsageError ? 2 : 1;
  }
}

/** A policy over the simulator's default world: branches and lab machines on Berlin office hours. */
export const POLICY = `
fortiflex: { accountId: 12345, programSerialNumber: ELAVMR0000000519 }
mode: enforce
schedules:
  office:
    timezone: Europe/Berlin
    active: ["Mon-Fri 07:00-19:00"]
rules:
  - name: branches
    select: { configIds: [2198] }
    schedule: office
    offHours: stop
  - name: lab
    select: { descriptionPrefix: "lab-" }
    schedule: office
    offHours: stop
rates: { 2199: 3 }
`;
