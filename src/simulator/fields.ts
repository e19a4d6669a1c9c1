/**
 * Request field readers. The API accepts ids as numbers or numeric strings; every reader
 * fails with a one-line message naming the field and the accepted form.
 */
import { SimApiError } from './errors';

/** A decoded JSON request body. */
export type Body = Record<string, unknown>;

const missing = (name: string): SimApiError => new SimApiError(`${name} is required`);

/** An integer given as a number or numeric string; `undefined` when absent and not required. */
export function intField(body: Body, name: string, required: true): number;
export function intField(body: Body, name: string, required?: false): number | undefined;
export function intField(body: Body, name: string, required = false): number | undefined {
  const value = body[name];
  if (value === undefined || value === null || value === '') {
    if (required) throw missing(name);
    return undefined;
  }
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^-?\d+$/.test(value.trim())
        ? Number(value)
        : NaN;
  if (!Number.isSafeInteger(n))
    throw new SimApiError(`${name}: expected an integer (number or numeric string)`);
  return n;
}

/** A string field; `undefined` when absent and not required. */
export function stringField(body: Body, name: string, required: true): string;
export function stringField(body: Body, name: string, required?: false): string | undefined;
export function stringField(body: Body, name: string, required = false): string | undefined {
  const value = body[name];
  if (value === undefined || value === null) {
    if (required) throw missing(name);
    return undefined;
  }
  if (typeof value !== 'string') throw new SimApiError(`${name}: expected a string`);
  if (required && value.trim() === '') throw missing(name);
  return value;
}

/** A boolean field (true/false or "true"/"false"). */
export function boolField(body: Body, name: string): boolean | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new SimApiError(`${name}: expected true or false`);
}

/** An array of strings; `undefined` when absent and not required. */
export function stringArrayField(body: Body, name: string, required = false): string[] | undefined {
  const value = body[name];
  if (value === undefined || value === null) {
    if (required) throw missing(name);
    return undefined;
  }
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new SimApiError(`${name}: expected an array of strings`);
  }
  return value as string[];
}

/** `parameters`: an array of `{id, value}` with numeric-or-string ids and values; values become strings. */
export function parametersField(body: Body, required: boolean): { id: number; value: string }[] | undefined {
  const value = body.parameters;
  if (value === undefined || value === null) {
    if (required) throw missing('parameters');
    return undefined;
  }
  if (!Array.isArray(value)) throw new SimApiError('parameters: expected an array of {id, value}');
  return value.map((item: unknown, i) => {
    if (typeof item !== 'object' || item === null)
      throw new SimApiError(`parameters[${i}]: expected {id, value}`);
    const entry = item as Body;
    const id = intField({ [`parameters[${i}].id`]: entry.id }, `parameters[${i}].id`, true);
    const raw = entry.value;
    if (typeof raw !== 'string' && typeof raw !== 'number') {
      throw new SimApiError(`parameters[${i}].value: expected a string or number`);
    }
    return { id, value: String(raw).trim() };
  });
}
