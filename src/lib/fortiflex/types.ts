/**
 * Domain types of the FortiFlex v2 API, after normalization by the client.
 *
 * Field names follow the API's own (camelCase, v2 names). Quirks of the wire format (legacy `vms` key,
 * object-vs-array payloads, ids sent as strings, repeated list parameters, "NONE") are removed by the
 * client's parsers, so everything past `src/lib/fortiflex` sees only these shapes.
 */

/** Entitlement status as reported by FortiFlex. Unknown future values are kept as opaque strings. */
export type EntitlementStatus = 'PENDING' | 'ACTIVE' | 'STOPPED' | 'EXPIRED' | 'GRACE_PERIOD' | (string & {});

/** Token status of a VM entitlement; empty for hardware and cloud entitlements. */
export type TokenStatus = 'NOTUSED' | 'USED' | '';

/** Configuration status. */
export type ConfigStatus = 'ACTIVE' | 'DISABLED' | (string & {});

/** A FortiFlex program (prepaid `ELAVMR…` or MSSP postpaid `ELAVMS…`). */
export interface Program {
  serialNumber: string;
  accountId: number;
  startDate: string;
  endDate: string;
  hasSupportCoverage: boolean;
}

/** One configuration parameter value. List-type parameters appear once per selected value. */
export interface ConfigParameter {
  id: number;
  name?: string;
  value: string;
}

/** A FortiFlex configuration: a product type plus parameter values, charged per day per entitlement. */
export interface Config {
  id: number;
  name: string;
  programSerialNumber: string;
  accountId: number;
  status: ConfigStatus;
  productType: { id: number; name: string };
  parameters: ConfigParameter[];
}

/** A FortiFlex entitlement (one licensed VM, hardware device or cloud service). */
export interface Entitlement {
  serialNumber: string;
  description: string;
  configId: number;
  accountId: number;
  /** Creation timestamp, ISO 8601 without offset (Pacific local time, as the API returns it). */
  startDate: string;
  /** Termination date, ISO 8601 without offset. */
  endDate: string;
  status: EntitlementStatus;
  token: string;
  tokenStatus: TokenStatus;
}

/** Points consumed by one entitlement over a date range. */
export interface EntitlementPoints {
  serialNumber: string;
  accountId: number;
  points: number;
}

/** An asset folder holding FortiFlex units, with its token counts. */
export interface Group {
  folderPath: string;
  availableTokens: number;
  usedTokens: number;
  accountId: number;
}

/** Points-per-day estimate from `tools/calc`. */
export interface PointsEstimate {
  current: number;
  latest: number | null;
  latestEffectiveDate: string | null;
}

/** Points balance of a prepaid program (`programs/points`). */
export interface ProgramPoints {
  serialNumber: string;
  pointBalance: number;
}
