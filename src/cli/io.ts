/**
 * Output plumbing for CLI commands: output streams, JSON vs table printing, and the error that maps to
 * exit code 2 (bad usage). Commands write through a {@link CliIo} so tests can capture output.
 */

/** Where a command writes; the process streams in production, buffers in tests. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** The process streams. */
export const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** A {@link CliIo} that collects the output in memory, for driving `main` in-process (tests, embedding). */
export function bufferIo(): CliIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stdout: (text: string) => void (io.out += text),
    stderr: (text: string) => void (io.err += text),
  };
  return io;
}

/** Bad usage or invalid input file: the CLI exits with code 2 and prints the message on one line. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Prints `value` as pretty JSON followed by a newline. */
export function printJson(io: CliIo, value: unknown): void {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Renders rows as a plain aligned text table. Columns are taken in the order given; cells are stringified,
 * `null`/`undefined` print as empty.
 */
export function formatTable(
  rows: ReadonlyArray<Record<string, unknown>>,
  columns: readonly string[],
): string {
  const cell = (value: unknown): string =>
    value === null || value === undefined
      ? ''
      : typeof value === 'object'
        ? JSON.stringify(value)
        : String(value);
  const body = rows.map((row) => columns.map((column) => cell(row[column])));
  const widths = columns.map((column, i) =>
    Math.max(column.length, ...body.map((cells) => cells[i]!.length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((text, i) => text.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(columns), line(widths.map((width) => '-'.repeat(width))), ...body.map(line)].join('\n') + '\n';
}
