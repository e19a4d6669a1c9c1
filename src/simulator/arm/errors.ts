/**
 * ARM error answers: an HTTP status and the `{ error: { code, message } }` body the SDK turns into a
 * `RestError` with `code` and `statusCode`.
 */

/** An error the simulator answers with. */
export class ArmError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  /** The response body. */
  body(): { error: { code: string; message: string; details?: unknown[] } } {
    return { error: { code: this.code, message: this.message } };
  }
}

/** 404 for a resource that does not exist (ARM's wording). */
export function resourceNotFound(type: string, name: string, resourceGroup: string): ArmError {
  return new ArmError(
    404,
    'ResourceNotFound',
    `The Resource '${type}/${name}' under resource group '${resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
  );
}

/** 409 for an operation on a machine that has one in progress. */
export function operationNotAllowed(action: string, name: string, pending: string): ArmError {
  return new ArmError(
    409,
    'OperationNotAllowed',
    `Operation '${action}' is not allowed on VM '${name}' since the VM has operation '${pending}' in progress.`,
  );
}

/** 429 as Compute throttles: OperationNotAllowed with a TooManyRequests detail and Retry-After. */
export class ThrottledError extends ArmError {
  constructor(retryAfterSeconds: number) {
    super(
      429,
      'OperationNotAllowed',
      'The server rejected the request because too many requests have been received for this subscription.',
      { 'retry-after': String(retryAfterSeconds) },
    );
  }

  override body(): { error: { code: string; message: string; details: unknown[] } } {
    return {
      error: {
        code: this.code,
        message: this.message,
        details: [{ code: 'TooManyRequests', target: 'PutVM3Min' }],
      },
    };
  }
}
