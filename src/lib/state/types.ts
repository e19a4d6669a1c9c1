/**
 * The state store's public shapes: what the scaler remembers per entitlement, the audit trail, webhook dedupe
 * keys, license claims, pool change intents, run/pool leases and the work queue.
 */

/** Where the state lives: a connection string (Azurite, shared key) or service URIs plus a managed identity. */
export type StorageSettings =
  | { kind: 'connectionString'; connectionString: string }
  | {
      kind: 'identity';
      blobServiceUri: string;
      queueServiceUri: string;
      tableServiceUri: string;
      clientId?: string;
    };

/** `lastAction` values the reconcile planner writes (its actions). */
export type PlannerRecordAction = 'stop' | 'reactivate' | 'switchConfig';

/** `lastAction` values the pools write (named and explained in `src/app/pools/membership.ts`). */
export type PoolRecordAction =
  | 'poolRelease'
  | 'poolCancelRelease'
  | 'poolStop'
  | 'poolReactivate'
  | 'claimAssign'
  | 'claimRelease'
  | 'claimReleaseNewToken';

/** Every `lastAction` a record may carry. */
export type RecordAction = PlannerRecordAction | PoolRecordAction;

/** What the scaler did to one entitlement (table `records`, PK `entitlement`, RK serial number). */
export interface EntitlementRecord {
  serialNumber: string;
  /** True while the entitlement is STOPPED because of us ("only undo what we did"). */
  stoppedByScaler: boolean;
  previousStatus?: string;
  lastAction?: RecordAction;
  lastActionAt?: string;
  lastReason?: string;
  lastError?: string;
  lastErrorAt?: string;
  rule?: string;
  pool?: string;
  /** Config the entitlement had before the scaler switched it to an off-hours config (cleared on restore). */
  originalConfigId?: number;
  /**
   * A reconcile action written ahead and not yet confirmed (with `lastReason` `started: …`): what it was,
   * its target config for a switch, and when and by which run it started. Cleared with the outcome; the
   * next run closes an intent a killed run left open (see `src/app/reconcile/intents.ts`).
   */
  pendingAction?: PlannerRecordAction;
  pendingTargetConfigId?: number;
  pendingAt?: string;
  pendingRunId?: string;
  /** Set on reads and writes; pass it back to `put` for an If-Match update. */
  etag?: string;
}

/** Outcome of one audited action. */
export type AuditOutcome =
  | 'planned'
  | 'started'
  | 'succeeded'
  | 'failed'
  | 'skipped'
  | 'dryRun'
  /** An interrupted change whose result could not be told from the state found (in `details`). */
  | 'unknown';

/** One audit row: who did what to which entitlement, when and why. */
export interface AuditEntry {
  /** ISO instant. */
  at: string;
  runId: string;
  /** 'reconcile' | 'runNow' | 'cli' | 'scale' | ... */
  actor: string;
  serialNumber?: string;
  action: string;
  outcome: AuditOutcome;
  rule?: string;
  pool?: string;
  reason: string;
  ptDaysSaved?: number;
  pointsSaved?: number;
  error?: string;
  /** Small structured context; stored as JSON, truncated when large, secret-looking keys redacted. */
  details?: Record<string, unknown>;
}

/** Audit query; `since` is inclusive, `until` exclusive; results are newest first. */
export interface AuditQuery {
  serialNumber?: string;
  since?: Date;
  until?: Date;
  limit?: number;
}

/** A license held by one instance of a pool. */
export interface ClaimRecord {
  pool: string;
  instanceId: string;
  serialNumber: string;
  claimedAt: string;
  renewedAt?: string;
  expiresAt?: string;
  /**
   * False while the license is being readied (reactivated, token regenerated): no token has been revealed
   * for this claim yet. Absent on claims written before completeness was recorded, which count as complete.
   */
  complete?: boolean;
  /** The attempt readying an incomplete claim: its id and its start (wall clock, ISO). */
  attemptId?: string;
  attemptAt?: string;
  /** The attempt gave up after a failure: the instance's next claim takes the row over at once. */
  attemptFailed?: boolean;
  etag?: string;
}

/**
 * A pool change about to be made (table `intents`): written with its `started` audit row before the
 * FortiFlex call, deleted once the outcome is audited. One left behind by a killed run is resolved by the
 * next run of the pool from what exists.
 */
export interface ChangeIntent {
  pool: string;
  /** Unique within the pool; sorts by time. */
  id: string;
  /** The pool step: `create`, `stop`, `reactivate`, `markRelease`, `moveRelease`. */
  action: string;
  serialNumber?: string;
  /** Entitlements a create asked for. */
  count?: number;
  /** The pool's members before a create: what is new afterwards is what it created. */
  known?: string[];
  at: string;
  runId: string;
  actor: string;
  reason: string;
  etag?: string;
}

/** An exclusive blob lease; renew before `ttlSeconds` pass or another holder may take it. */
export interface Lease {
  name: string;
  /** The lease id (for diagnostics). */
  id: string;
  /** Extends the lease by its ttl; throws `ConcurrencyError` when the lease was lost. */
  renew(): Promise<void>;
  /** Frees the lease; a no-op when it has already been lost or released. */
  release(): Promise<void>;
}

/** A message read from the work queue (or its poison queue). */
export interface QueueMessage {
  messageId: string;
  popReceipt: string;
  dequeueCount: number;
  /** The JSON value that was sent (the raw text when it is not JSON). */
  body: unknown;
}

/** Everything the scaler keeps in Azure Storage. */
export interface StateStore {
  records: {
    get(serialNumber: string): Promise<EntitlementRecord | undefined>;
    list(): Promise<EntitlementRecord[]>;
    /** If-Match when `r.etag` is set, insert-if-absent when not; `ConcurrencyError` on conflict. */
    put(r: EntitlementRecord): Promise<EntitlementRecord>;
    /**
     * {@link put} for many records at once, in entity-group transactions of up to 100 (one request each).
     * Same conditions per record; when a batch fails (one lost condition fails them all) its records are
     * written one by one, so only the real conflicts fail. Never rejects: one result per record, in order.
     */
    putMany(rs: readonly EntitlementRecord[]): Promise<PromiseSettledResult<EntitlementRecord>[]>;
    /** Unconditional replace (last write wins). */
    upsert(r: EntitlementRecord): Promise<EntitlementRecord>;
  };
  audit: {
    append(e: AuditEntry): Promise<void>;
    /**
     * Appends many rows with a few entity-group transactions (up to 100 rows per partition per request)
     * instead of two writes per row. Rejects when any batch fails; batches that succeeded stay written.
     */
    appendMany(entries: readonly AuditEntry[]): Promise<void>;
    query(q: AuditQuery): Promise<AuditEntry[]>;
  };
  events: {
    /** True the first time `key` is seen (or when its previous sighting expired); false for a duplicate. */
    remember(key: string, ttlMs: number, now: Date): Promise<boolean>;
    /** True while `key` is remembered and not expired at `now`. A read: writes nothing. */
    has(key: string, now: Date): Promise<boolean>;
    /** Deletes keys that expired before `now`, at most `limit` (default 1000) per call; returns how many. */
    purgeExpired(now: Date, limit?: number): Promise<number>;
  };
  intents: {
    /** Stores a new intent (insert-if-absent on its id). */
    add(intent: ChangeIntent): Promise<ChangeIntent>;
    /** The open intents of a pool, oldest first. */
    list(pool: string): Promise<ChangeIntent[]>;
    /** Removes an intent; a no-op when it is already gone. */
    delete(pool: string, id: string): Promise<void>;
  };
  claims: {
    get(pool: string, instanceId: string): Promise<ClaimRecord | undefined>;
    findBySerial(pool: string, serialNumber: string): Promise<ClaimRecord | undefined>;
    list(pool: string): Promise<ClaimRecord[]>;
    /** Atomic insert-if-absent on both the instance id and the serial; `ConcurrencyError` on conflict. */
    create(c: ClaimRecord): Promise<ClaimRecord>;
    /**
     * If-Match on `c.etag`; updates the renewal (`renewedAt`, `expiresAt`) and completeness fields
     * (`complete`, `attempt…`) only: serial and claimedAt never change.
     */
    update(c: ClaimRecord): Promise<ClaimRecord>;
    /** Removes the claim and its serial lock; false when there was none; `ConcurrencyError` on a stale etag. */
    delete(pool: string, instanceId: string, etag?: string): Promise<boolean>;
  };
  leases: {
    /** `ttlSeconds` in 15..60; null when another holder has it. */
    acquire(name: string, ttlSeconds: number): Promise<Lease | null>;
  };
  queue: {
    /** Queue name (`scaler-work` plus the store prefix). */
    readonly name: string;
    /** Poison queue name (`scaler-work-poison` plus the store prefix), where the Functions host moves failures. */
    readonly poisonName: string;
    /** Sends `message` as base64-encoded JSON (the Functions queue trigger's default encoding). */
    send(message: unknown, options?: { delaySeconds?: number }): Promise<void>;
    receive(
      max?: number,
      options?: { poison?: boolean; visibilityTimeoutSeconds?: number },
    ): Promise<QueueMessage[]>;
    delete(message: QueueMessage, options?: { poison?: boolean }): Promise<void>;
  };
  deliveries: {
    get(pool: string, instanceId: string): Promise<DeliveryRecord | undefined>;
    /** Every delivery of the pool, by instance id. */
    list(pool: string): Promise<DeliveryRecord[]>;
    /** Unconditional replace (rows change only under the pool lease). */
    upsert(record: DeliveryRecord): Promise<void>;
    /** {@link upsert} for many rows, in entity-group transactions of up to 100 per pool. */
    upsertMany(records: readonly DeliveryRecord[]): Promise<void>;
    /** False when there was no row. */
    delete(pool: string, instanceId: string): Promise<boolean>;
  };
}

/** Where the delivery to one instance stands (docs/architecture.md §"Licence delivery"). */
export type DeliveryState = 'pending' | 'licensed' | 'adopted' | 'failed';

/** The last step of a delivery that is known to have happened. */
export type DeliveryStep = 'discovered' | 'claimed' | 'tokenSent' | 'confirmed';

/** The licence delivery to one scale-set instance (table `deliveries`, PK pool, RK instance). No secrets. */
export interface DeliveryRecord {
  pool: string;
  /** The VM name, lower case (the claim's instance id). */
  instanceId: string;
  /** ARM id of the instance. */
  vmId?: string;
  privateIp?: string;
  state: DeliveryState;
  step: DeliveryStep;
  /** The claimed (or adopted) entitlement. */
  serialNumber?: string;
  /** The serial the FortiGate last reported. */
  reportedSerial?: string;
  /** When the scaler first saw the instance (the delivery bound counts from here). */
  firstSeenAt: string;
  updatedAt: string;
  tokenSentAt?: string;
  attempts: number;
  /** One line: what happened last, or why it failed. */
  detail: string;
  /** `FortiOsError` code or the scaler's reason (`serialMismatch`, `timeout`, …) of the last failure. */
  errorCode?: string;
  /** TOFU: the pinned certificate fingerprint of this FortiGate. */
  fingerprint?: string;
  /** The certificate check in force: `tofu`, `ca`, `insecure` or `none` (plain HTTP, loopback only). */
  tls?: string;
  /** Set once the delivery bound passed without a confirmation (reported once). */
  timedOut?: boolean;
  etag?: string;
}

/** A conditional write lost (409 already exists, 412 ETag mismatch) or a lease was lost. */
export class ConcurrencyError extends Error {
  override readonly name = 'ConcurrencyError';
  constructor(
    message: string,
    readonly statusCode?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
