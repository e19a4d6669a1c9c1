/**
 * The validated policy: what `parsePolicy` / `validatePolicy` return, with every default applied and every
 * rule's and pool's FortiFlex scope resolved (own override merged over the top-level default).
 *
 * Times inside schedules stay as the user wrote them (strings); `compileSchedule` turns them into instants.
 */

/** Account and program an entitlement lives in. */
export interface FortiFlexScope {
  accountId: number;
  programSerialNumber: string;
}

/** Holiday calendar of a schedule: a country/region calendar and/or explicit dates, whole local days. */
export interface HolidaysDef {
  /** ISO 3166-1 alpha-2 country code understood by date-holidays, e.g. `DE`. */
  country?: string;
  /** State/region code within the country, e.g. `BY`. Only valid with `country`. */
  region?: string;
  /** Holiday types taken from the calendar. Default `['public']`. */
  types: HolidayType[];
  /** Extra whole local days off, `YYYY-MM-DD`. */
  dates: string[];
}

/** Holiday types of date-holidays. */
export type HolidayType = 'public' | 'bank' | 'school' | 'optional' | 'observance';

/** An absolute override of a schedule, in the schedule's zone. The last listed matching exception wins. */
export interface ExceptionDef {
  /** Local start, `YYYY-MM-DDTHH:mm` (or `YYYY-MM-DD` = 00:00), inclusive. */
  from: string;
  /** Local end, same form, exclusive. */
  to: string;
  state: 'active' | 'inactive';
  /** Local instant from which this exception no longer applies (same form as `from`). */
  expires?: string;
}

/** A named schedule: when entitlements must be ACTIVE. */
export interface ScheduleDef {
  /** IANA zone name, e.g. `Europe/Berlin`; abbreviations and fixed offsets are rejected. */
  timezone: string;
  /** Span expressions, e.g. `Mon-Fri 07:00-19:00`, `Fri 18:00-Mon 06:00`, `daily 22:00-06:00`. */
  active: string[];
  holidays?: HolidaysDef;
  exceptions: ExceptionDef[];
}

/** Entitlement selection keys. */
export interface SelectorKeys {
  configIds?: number[];
  serialNumbers?: string[];
  descriptionPrefix?: string;
  folderPath?: string;
}

/** Which entitlements a rule manages: matches any given key (OR) and no `exclude` key (excludes win). */
export interface Selector extends SelectorKeys {
  exclude?: SelectorKeys;
}

/** What a rule does outside its schedule. */
export type OffHoursAction = 'stop' | { switchConfig: number };

/** Billing-aware stop options of a rule. */
export interface RuleBilling {
  /** Keep an entitlement active when its stop would cover no whole Pacific day. Default true. */
  skipUnprofitableStops: boolean;
  /** `windowStart`: stop when the window starts; `lastSafeMoment`: just before the next PT midnight. */
  stopTiming: 'windowStart' | 'lastSafeMoment';
  /** Minutes before the PT midnight that `lastSafeMoment` stops at. Default 30. */
  marginMinutes: number;
}

/** A business-hours rule. */
export interface Rule {
  name: string;
  select: Selector;
  /** Name of an entry in `schedules`. */
  schedule: string;
  offHours: OffHoursAction;
  billing: RuleBilling;
  /** `ownChangesOnly` (default): reactivate only what the scaler stopped; `always`: converge regardless. */
  enforce: 'ownChangesOnly' | 'always';
  /** Resolved scope (rule override merged over the policy default). */
  fortiflex: FortiFlexScope;
}

/** Capacity bounds of a pool, optionally only while a schedule is active. First match wins. */
export interface CapacityDef {
  schedule?: string;
  min: number;
  max: number;
}

/** A license pool for a scale set. */
export interface Pool {
  name: string;
  configId: number;
  /** Resolved scope (pool override merged over the policy default). */
  fortiflex: FortiFlexScope;
  description?: string;
  folderPath?: string;
  capacity: CapacityDef[];
  scaleIn: { deferUntilBillingDayEnd: boolean; marginMinutes: number };
  triggers: { alertRules: string[]; autoscaleResourceIds: string[] };
  scaleSet?: { resourceId: string };
  claimTtlMinutes?: number;
  /** Licence delivery to the scale set's FortiGates; absent = claims by HTTP only. */
  fortigate?: FortiGateAccess;
}

/** How the app reaches a pool's FortiGates over the FortiOS REST API (pool key `fortigate`). */
export interface FortiGateAccess {
  /** Key Vault secret with the REST API key (locally the setting `FORTIGATE_API_KEY`). */
  apiKeySecret: string;
  port: number;
  /** `http` only for loopback addresses (tests). */
  protocol: 'https' | 'http';
  /** `tofu` pins each FortiGate's certificate on first contact; `insecure` checks nothing (flagged in status). */
  tls: 'tofu' | 'insecure' | { caSecret: string };
  /** A delivery not confirmed within this many minutes is reported as failed (its claim stays). */
  deliveryTimeoutMinutes: number;
}

/** Safety limits. */
export interface Safety {
  /** Most actions one reconcile run may apply. Default 50. */
  maxActionsPerRun: number;
  /** An entitlement reactivated by the scaler stays active at least this long. Default 60. */
  minActiveMinutesAfterReactivate: number;
}

/** The whole validated policy. */
export interface Policy {
  /** Default scope; absent only when every rule and pool carries its own complete scope. */
  fortiflex?: FortiFlexScope;
  mode: 'enforce' | 'dryRun';
  safety: Safety;
  schedules: Record<string, ScheduleDef>;
  rules: Rule[];
  pools: Pool[];
  /** Points per day per config id (overrides `tools/calc`). */
  rates?: Record<number, number>;
}
