import { describe, expect, it } from 'vitest';
import { ComputeError, retryAfterMsFromHeaders, toComputeError } from '../../../src/lib/azure/errors';
import { powerStateOf } from '../../../src/lib/azure/power-state';

/** A RestError as the SDK builds it (name, code, statusCode, non-enumerable response). */
function restError(
  message: string,
  fields: { code?: string; statusCode?: number; headers?: Record<string, string> },
): Error {
  const error = Object.assign(new Error(message), {
    name: 'RestError',
    code: fields.code,
    statusCode: fields.statusCode,
  });
  Object.defineProperty(error, 'response', { value: { headers: fields.headers ?? {} }, enumerable: false });
  return error;
}

describe('compute errors', () => {
  it.each([
    [409, 'OperationNotAllowed', 'conflict'],
    [409, 'Conflict', 'conflict'],
    [404, 'ResourceNotFound', 'notFound'],
    [403, 'AuthorizationFailed', 'forbidden'],
    [401, 'AuthenticationFailed', 'unauthorized'],
    [500, 'InternalServerError', 'unavailable'],
    [503, undefined, 'unavailable'],
    [408, undefined, 'unavailable'],
    [400, 'InvalidParameter', 'unknown'],
    [400, 'AllocationFailed', 'allocationFailed'],
  ] as const)('maps HTTP %i %s to %s', (statusCode, code, expected) => {
    const mapped = toComputeError(restError('something', { statusCode, code }), 'start of rg/vm');
    expect(mapped).toBeInstanceOf(ComputeError);
    expect(mapped.code).toBe(expected);
    expect(mapped.statusCode).toBe(statusCode);
    expect(mapped.message).toMatch(new RegExp(`^start of rg/vm: HTTP ${statusCode}`));
  });

  it('maps 429 to throttled with the Retry-After seconds', () => {
    const mapped = toComputeError(
      restError('too many', {
        statusCode: 429,
        code: 'OperationNotAllowed',
        headers: { 'retry-after': '1200' },
      }),
      'x',
    );
    expect(mapped.code).toBe('throttled');
    expect(mapped.retryAfterSeconds).toBe(1200);
    expect(mapped.azureCode).toBe('OperationNotAllowed');
  });

  it.each([
    [
      'The long-running operation has failed. AllocationFailed. Allocation failed. We do not have sufficient capacity.',
      'allocationFailed',
      'AllocationFailed',
    ],
    [
      'The long-running operation has failed. ZonalAllocationFailed. No capacity in zone 2.',
      'allocationFailed',
      'ZonalAllocationFailed',
    ],
    [
      'The long-running operation has failed. OperationPreempted. Preempted.',
      'conflict',
      'OperationPreempted',
    ],
    [
      'The long-running operation has failed. InternalExecutionError. Boom.',
      'unknown',
      'InternalExecutionError',
    ],
  ] as const)('maps the LRO failure %j', (message, code, azureCode) => {
    const mapped = toComputeError(new Error(message), 'start of rg/vm');
    expect(mapped.code).toBe(code);
    expect(mapped.azureCode).toBe(azureCode);
    expect(mapped.message).toMatch(new RegExp(`^start of rg/vm: operation failed \\(${azureCode}\\): `));
  });

  it('maps aborts, cancellations, transport and TLS failures', () => {
    expect(toComputeError(Object.assign(new Error('aborted'), { name: 'AbortError' }), 'x').code).toBe(
      'timeout',
    );
    expect(toComputeError(new Error('Operation was canceled'), 'x').code).toBe('conflict');
    expect(toComputeError(restError('connect ECONNREFUSED', { code: 'ECONNREFUSED' }), 'x').code).toBe(
      'unavailable',
    );
    const tls = toComputeError(
      restError('self-signed certificate', { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }),
      'x',
    );
    expect(tls.code).toBe('unavailable');
    expect(tls.message).toMatch(/TLS certificate not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\)/);
    expect(toComputeError('weird', 'x').code).toBe('unknown');
  });

  it('keeps messages on one line and never carries a bearer token', () => {
    const mapped = toComputeError(new Error('bad\nthing Authorization: Bearer eyJabc.def-ghi\n more'), 'x');
    expect(mapped.message).toBe('x: bad thing Authorization: Bearer [redacted] more');
    const same = new ComputeError('conflict', 'kept');
    expect(toComputeError(same, 'other')).toBe(same);
  });

  it('reads Retry-After style headers, milliseconds first', () => {
    expect(retryAfterMsFromHeaders({ 'retry-after-ms': '250', 'retry-after': '1' })).toBe(250);
    expect(retryAfterMsFromHeaders({ 'x-ms-retry-after-ms': '40' })).toBe(40);
    expect(retryAfterMsFromHeaders({ 'retry-after': '3' })).toBe(3000);
    expect(retryAfterMsFromHeaders({ 'retry-after': new Date(10_000).toUTCString() }, 4000)).toBe(6000);
    expect(retryAfterMsFromHeaders({ 'retry-after': 'soon' })).toBeUndefined();
    expect(retryAfterMsFromHeaders({})).toBeUndefined();
    expect(
      retryAfterMsFromHeaders({ get: (name: string) => (name === 'retry-after' ? '2' : undefined) }),
    ).toBe(2000);
  });
});

describe('power states', () => {
  it('reads the PowerState status and never turns a missing one into "off"', () => {
    expect(powerStateOf([{ code: 'ProvisioningState/succeeded' }, { code: 'PowerState/deallocated' }])).toBe(
      'deallocated',
    );
    expect(powerStateOf([{ code: 'PowerState/Running' }])).toBe('running');
    expect(powerStateOf([{ code: 'ProvisioningState/updating' }])).toBe('unknown');
    expect(powerStateOf([{ code: 'PowerState/hibernated' }])).toBe('unknown');
    expect(powerStateOf(undefined)).toBe('unknown');
  });
});
