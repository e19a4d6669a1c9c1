import { describe, expect, it } from 'vitest';
import { BusyError, ConflictError, InvalidRequestError, NotFoundError } from '../../src/app/errors';
import { BodyTooLargeError, errorResponse } from '../../src/functions/http';
import { FortiFlexNetworkError } from '../../src/lib/fortiflex/errors';
import { createContext } from '../support/functions';

describe('error → HTTP answer', () => {
  it('answers use-case errors by what the caller should do, with their own message', () => {
    const { context } = createContext('t');
    expect(
      errorResponse(new InvalidRequestError('instanceId: expected the VM name', 'instanceId'), context, 'x'),
    ).toEqual({ status: 400, jsonBody: { error: 'instanceId: expected the VM name', path: 'instanceId' } });
    expect(errorResponse(new NotFoundError('pool "p" is not defined in the policy'), context, 'x')).toEqual({
      status: 404,
      jsonBody: { error: 'pool "p" is not defined in the policy' },
    });
    expect(
      errorResponse(new ConflictError('pool "p" is at max', { max: 3, claimed: 3 }), context, 'x'),
    ).toEqual({ status: 409, jsonBody: { error: 'pool "p" is at max', max: 3, claimed: 3 } });
    expect(errorResponse(new BusyError('lease busy', 12), context, 'x')).toEqual({
      status: 503,
      headers: { 'Retry-After': '12' },
      jsonBody: { error: 'lease busy', invocationId: context.invocationId },
    });
    expect(errorResponse(new BodyTooLargeError(4096), context, 'x')).toEqual({
      status: 413,
      jsonBody: { error: 'body larger than 4096 bytes' },
    });
  });

  it('keeps internals out of 5xx answers and puts them in the log under the invocation id', () => {
    const capture = createContext('t');
    const internal = new Error('connect ECONNREFUSED 10.1.2.3:443 while reading table records-prod');
    const answer = errorResponse(internal, capture.context, 'status failed');
    expect(answer).toEqual({
      status: 500,
      jsonBody: { error: 'internal error', invocationId: capture.context.invocationId },
    });
    expect(JSON.stringify(answer)).not.toContain('ECONNREFUSED');
    expect(capture.logs).toEqual([
      expect.objectContaining({
        level: 'error',
        message: 'status failed: connect ECONNREFUSED 10.1.2.3:443 while reading table records-prod',
      }),
    ]);
  });

  it('answers a transient failure below the use cases 503 with Retry-After and no detail', () => {
    const capture = createContext('t');
    const transient = new FortiFlexNetworkError('entitlements/vm/token', 'connect ECONNRESET 10.9.9.9', {
      code: 'ECONNRESET',
    });
    const answer = errorResponse(transient, capture.context, 'claim "p" failed');
    expect(answer).toEqual({
      status: 503,
      headers: { 'Retry-After': '5' },
      jsonBody: {
        error: 'temporarily unable to serve the request; retry',
        invocationId: capture.context.invocationId,
      },
    });
    expect(capture.text()).toContain('10.9.9.9');
    expect(JSON.stringify(answer)).not.toContain('10.9.9.9');
  });
});
