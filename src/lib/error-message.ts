/**
 * The one way an error becomes text for logs, run summaries, audit rows and records: its message on one line,
 * bounded. The project's errors name what failed in the message itself; the class name is added only for the
 * runtime's own errors (a `TypeError` says little without it). Messages of the project's errors never carry
 * secrets (the FortiFlex client scrubs tokens and credentials from every error it raises), so this adds no
 * filtering.
 */

const RUNTIME_ERRORS = new Set([
  'TypeError',
  'RangeError',
  'SyntaxError',
  'ReferenceError',
  'EvalError',
  'URIError',
]);

/** A one-line, length-bounded message for `error` (no stack, no newlines). */
export function errorMessage(error: unknown, max = 300): string {
  const text =
    error instanceof Error
      ? `${RUNTIME_ERRORS.has(error.name) || error.message === '' ? `${error.name}: ` : ''}${error.message}`
      : String(error);
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
