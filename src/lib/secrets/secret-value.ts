/**
 * A secret held in memory (an API password, an HMAC key, a FortiOS API key). It prints as `[secret]` in every
 * form a value can leak through (string conversion, JSON, `util.inspect`, template literals), so settings
 * objects that carry secrets can be logged or serialised without exposing them. Only {@link SecretValue.reveal}
 * returns the value, at the one place that sends it.
 */
import { inspect } from 'node:util';

const REDACTED = '[secret]';

/** A value that never prints itself. */
export class SecretValue {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The secret itself; call it only where the value is sent. */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
