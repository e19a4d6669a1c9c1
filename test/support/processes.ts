/**
 * Child processes for tests that need real process boundaries (separate memory, a SIGKILL at any moment):
 * a TypeScript entry point run by Node with tsx, its output collected line by line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/** The repository root (where `node_modules/tsx` lives). */
const ROOT = path.resolve(__dirname, '..', '..');

/** A running child and what it printed so far. */
export interface TsxChild {
  child: ChildProcess;
  /** Complete stdout lines, in order. */
  lines: string[];
  stderr(): string;
  /** Resolves when the first line `predicate` accepts arrives (or the child exits first: false). */
  waitFor(predicate: (line: string) => boolean): Promise<boolean>;
  /** Resolves with the exit code (null) and signal when the child has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `script` (a path relative to the repository root) with `args`, and `env` added to this process's
 * environment.
 */
export function startTsx(
  script: string,
  env: Record<string, string>,
  args: readonly string[] = [],
): TsxChild {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, script), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters: { predicate: (line: string) => boolean; resolve: (found: boolean) => void }[] = [];
  let partial = '';
  let errors = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      for (const waiter of [...waiters]) {
        if (waiter.predicate(line)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(true);
        }
      }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (errors += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      for (const waiter of waiters.splice(0)) waiter.resolve(false);
      resolve({ code, signal });
    }),
  );
  return {
    child,
    lines,
    stderr: () => errors,
    waitFor: (predicate) =>
      lines.some(predicate) || child.exitCode !== null
        ? Promise.resolve(lines.some(predicate))
        : new Promise((resolve) => waiters.push({ predicate, resolve })),
    exited,
  };
}
