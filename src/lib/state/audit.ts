/**
 * Table `audit`: one row per action, partitioned by UTC day (PK `YYYY-MM-DD`) with inverted-time row keys so
 * each day reads newest first. Rows about an entitlement are also indexed in the `by-serial` partition
 * (RK `<serial>|<inverted time>`), so "who stopped serial X, when and why" is one row-key range query, and the
 * index rows of many entitlements share a partition and can be written together in one transaction.
 */
import { odata, type TableClient, type TableEntityResult, type TransactionAction } from '@azure/data-tables';
import { clip, defined, encodeKey, invertedTime, invertedTimeKey, utcDay } from './keys';
import { redactDetails, redactText } from './redact';
import type { AuditEntry, AuditOutcome, AuditQuery, StateStore } from './types';

/** Partition of the per-serial index rows. */
const SERIAL_INDEX = 'by-serial';
/** Entity-group transactions take at most 100 entities, all of one partition. */
const MAX_BATCH = 100;
/** Day partitions ('2026-…') sort before the index partition ('by-serial'). */
const LAST_DAY_KEY = '9999-12-31';
const MAX_TEXT = 2_000;
const MAX_DETAILS = 4_000;
const DAY_MS = 86_400_000;

/** Serialises details, keeping the stored JSON small and valid. */
function detailsJson(details: Record<string, unknown> | undefined): string | undefined {
  if (details === undefined) return undefined;
  const json = JSON.stringify(redactDetails(details));
  if (json.length <= MAX_DETAILS) return json;
  return JSON.stringify({ truncated: true, json: json.slice(0, MAX_DETAILS - 100) });
}

function toEntity(
  e: AuditEntry,
  partitionKey: string,
  rowKey: string,
): { partitionKey: string; rowKey: string } & Record<string, unknown> {
  return defined({
    partitionKey,
    rowKey,
    at: e.at,
    runId: clip(e.runId, 200),
    actor: clip(e.actor, 100),
    serialNumber: e.serialNumber,
    action: clip(e.action, 100),
    outcome: e.outcome,
    rule: e.rule,
    pool: e.pool,
    reason: clip(redactText(e.reason), MAX_TEXT),
    ptDaysSaved: e.ptDaysSaved,
    pointsSaved: e.pointsSaved,
    error: e.error === undefined ? undefined : clip(redactText(e.error), MAX_TEXT),
    details: detailsJson(e.details),
  });
}

function fromEntity(e: TableEntityResult<Record<string, unknown>>): AuditEntry {
  const text = (key: string): string | undefined =>
    typeof e[key] === 'string' ? (e[key] as string) : undefined;
  const num = (key: string): number | undefined =>
    typeof e[key] === 'number' ? (e[key] as number) : undefined;
  let details: Record<string, unknown> | undefined;
  const raw = text('details');
  if (raw !== undefined) {
    try {
      details = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      details = { raw };
    }
  }
  return defined({
    at: text('at') ?? '',
    runId: text('runId') ?? '',
    actor: text('actor') ?? '',
    serialNumber: text('serialNumber'),
    action: text('action') ?? '',
    outcome: (text('outcome') ?? 'planned') as AuditOutcome,
    rule: text('rule'),
    pool: text('pool'),
    reason: text('reason') ?? '',
    ptDaysSaved: num('ptDaysSaved'),
    pointsSaved: num('pointsSaved'),
    error: text('error'),
    details,
  });
}

/** Row-key bounds for [since, until): inverted keys run backwards in time. */
function rowKeyFilter(since: Date | undefined, until: Date | undefined): string {
  const parts: string[] = [];
  if (until !== undefined) parts.push(odata`RowKey ge ${invertedTime(until.getTime() - 1)}`);
  if (since !== undefined) parts.push(odata`RowKey lt ${`${invertedTime(since.getTime())}~`}`);
  return parts.join(' and ');
}

/** Row-key range of one serial's index rows within [since, until). */
function serialRangeFilter(serialNumber: string, since: Date | undefined, until: Date | undefined): string {
  // encodeKey escapes '|', so '<serial>|' prefixes only this serial's rows; '}' sorts right after '|'.
  const serial = encodeKey(serialNumber);
  const from = until === undefined ? `${serial}|` : `${serial}|${invertedTime(until.getTime() - 1)}`;
  const to = since === undefined ? `${serial}}` : `${serial}|${invertedTime(since.getTime())}~`;
  return odata`PartitionKey eq ${SERIAL_INDEX} and RowKey ge ${from} and RowKey lt ${to}`;
}

type Entity = ReturnType<typeof toEntity>;

/** The day row and, for an entry about an entitlement, its index row. */
function entitiesOf(e: AuditEntry): Entity[] {
  const at = new Date(e.at);
  if (Number.isNaN(at.getTime())) throw new RangeError(`audit entry: at "${e.at}" is not an ISO date`);
  const rowKey = invertedTimeKey(at.getTime());
  const rows = [toEntity(e, utcDay(at), rowKey)];
  if (e.serialNumber !== undefined) {
    rows.push(toEntity(e, SERIAL_INDEX, `${encodeKey(e.serialNumber)}|${rowKey}`));
  }
  return rows;
}

function validDate(name: string, value: Date | undefined): void {
  if (value !== undefined && Number.isNaN(value.getTime()))
    throw new RangeError(`audit query: ${name} is not a valid date`);
}

/** The `audit` part of the store. `clock` supplies "now" when a query has no `until`. */
export function auditStore(
  client: TableClient,
  ensure: () => Promise<void>,
  clock: () => Date = () => new Date(),
): StateStore['audit'] {
  async function collect(filter: string, limit: number, out: AuditEntry[]): Promise<void> {
    const pages = client
      .listEntities({ queryOptions: { filter } })
      .byPage({ maxPageSize: Math.min(1000, Math.max(1, limit - out.length)) });
    for await (const page of pages) {
      for (const e of page) {
        if (out.length >= limit) return;
        out.push(fromEntity(e));
      }
      if (out.length >= limit) return;
    }
  }

  return {
    async append(e) {
      const rows = entitiesOf(e);
      await ensure();
      await Promise.all(rows.map((row) => client.createEntity(row)));
    },

    async appendMany(entries) {
      const byPartition = new Map<string, Entity[]>();
      for (const row of entries.flatMap(entitiesOf)) {
        const rows = byPartition.get(row.partitionKey) ?? [];
        rows.push(row);
        byPartition.set(row.partitionKey, rows);
      }
      if (byPartition.size === 0) return;
      await ensure();
      const batches: Entity[][] = [];
      for (const rows of byPartition.values()) {
        for (let i = 0; i < rows.length; i += MAX_BATCH) batches.push(rows.slice(i, i + MAX_BATCH));
      }
      await Promise.all(
        batches.map((batch) =>
          batch.length === 1
            ? client.createEntity(batch[0]!)
            : client.submitTransaction(batch.map((row): TransactionAction => ['create', row])),
        ),
      );
    },

    async query(q: AuditQuery) {
      validDate('since', q.since);
      validDate('until', q.until);
      const limit = q.limit ?? Number.POSITIVE_INFINITY;
      if (!(limit >= 1)) throw new RangeError('audit query: limit must be at least 1');
      try {
        return await read(q, limit);
      } catch (error) {
        // Reading never creates the table, so Storage Table Data Reader is enough: no table, no rows yet.
        if ((error as { statusCode?: number }).statusCode === 404) return [];
        throw error;
      }
    },
  };

  /** The query itself; a missing table fails it with 404. */
  async function read(q: AuditQuery, limit: number): Promise<AuditEntry[]> {
    const out: AuditEntry[] = [];
    const range = rowKeyFilter(q.since, q.until);
    const and = range === '' ? '' : ` and ${range}`;

    if (q.serialNumber !== undefined) {
      await collect(serialRangeFilter(q.serialNumber, q.since, q.until), limit, out);
      return out;
    }

    // Walk day partitions from the newest down to the oldest one present (or `since`), stopping at the limit.
    let oldest: string | undefined;
    for await (const e of client
      .listEntities({
        queryOptions: { filter: odata`PartitionKey le ${LAST_DAY_KEY}`, select: ['PartitionKey'] },
      })
      .byPage({ maxPageSize: 1 })) {
      oldest = e[0]?.partitionKey;
      break;
    }
    if (oldest === undefined) return out;
    const sinceDay = q.since !== undefined && utcDay(q.since) > oldest ? utcDay(q.since) : oldest;
    const end = q.until ?? new Date(clock().getTime() + DAY_MS);
    let day = new Date(`${utcDay(new Date(end.getTime() - 1))}T00:00:00.000Z`);
    while (out.length < limit && utcDay(day) >= sinceDay) {
      await collect(`${odata`PartitionKey eq ${utcDay(day)}`}${and}`, limit, out);
      day = new Date(day.getTime() - DAY_MS);
    }
    return out;
  }
}
