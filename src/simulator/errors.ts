/**
 * Errors the simulated API returns. FortiFlex answers failures with `{status: -1, message, error:
 * {errorCode, message}}`; the real error codes are not published, so the simulator uses the numeric codes
 * below (documented, stable) and keeps the vendor's message texts where they are known.
 */

/** `error.errorCode` values the simulator sends. */
export const ErrorCode = {
  /** Missing, expired or replaced bearer token ("Invalid security token."). */
  invalidToken: -1,
  /** Malformed request: missing field, wrong type, invalid parameter value ("Parameter id N ..."). */
  invalidRequest: 400,
  /** Unknown serial number, configuration, program or endpoint. */
  notFound: 404,
  /** The entitlement's status does not allow the action ("Unable to update VM from current status."). */
  invalidStatus: 409,
  /** A business rule refused the request (disabled config, one cloud entitlement per account, points). */
  businessRule: 422,
  /** Rate limit per minute ("Exceed max requests in minute"). */
  rateLimitMinute: -10,
  /** Rate limit per hour ("Exceed max requests in hour"). */
  rateLimitHour: -11,
  /** Too many error answers per hour ("Exceed max error"). */
  errorLimitHour: -30,
} as const;

/** The vendor's message for a status transition the entitlement's current status does not allow. */
export const UNABLE_TO_UPDATE = 'Unable to update VM from current status.';

/** The vendor's message for a missing, expired or replaced token. */
export const INVALID_TOKEN_MESSAGE = 'Invalid security token.';

/** A failed API call: becomes an error envelope with `httpStatus`. */
export class SimApiError extends Error {
  override readonly name = 'SimApiError';
  constructor(
    message: string,
    readonly errorCode: number | string = ErrorCode.invalidRequest,
    readonly httpStatus = 400,
    /** Detail for `error.message`; defaults to `message`. */
    readonly detail?: string,
  ) {
    super(message);
  }
}
