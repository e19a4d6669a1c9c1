/**
 * Table `audit`: one row per action, partitioned by UTC day (PK `YYYY-MM-DD`) with inverted-time row keys so
 * each day reads newest first. Rows about an entitlement are also written to its own partition
 * (PK `serial|<serial>`, same row key) so "who stopped serial X, when and why" is a single-partition query.
 */
import { odata, type TableClient, type TableEntityResult } from '@azure/data-tables';
import { clip, defined, encodeKey, invertedTime, invertedTimeKey, utcDay } from './keys';
import { redactDetails, redactText } from './redact';
import type { AuditEntry, AuditOutcome, AuditQuery, StateStore } from './types';

const SERIAL_PREFIX = 'serial|';
/** Day partitions ('2026-…') sort before every serial partition ('serial|…'). */
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
      const at = new Date(e.at);
      if (Number.isNaN(at.getTime())) throw new RangeError(`audit entry: at "${e.at}" is not an ISO date`);
      await ensure();
      const rowKey = invertedTimeKey(at.getTime());
      const writes = [client.createEntity(toEntity(e, utcDay(at), rowKey))];
      if (e.serialNumber !== undefined) {
        writes.push(client.createEntity(toEntity(e, `${SERIAL_PREFIX}${encodeKey(e.serialNumber)}`, rowKey)));
      }
      await Promise.all(writes);
    },

    async query(q: AuditQuery) {
      validDate('since', q.since);
      validDate('until', q.until);
      const limit = q.limit ?? Number.POSITIVE_INFINITY;
      if (!(limit >= 1)) throw new RangeError('audit query: limit must be at least 1');
      await ensure();
      const out: AuditEntry[] = [];
      const range = rowKeyFilter(q.since, q.until);
      const and = range === '' ? '' : ` and ${range}`;

      if (q.serialNumber !== undefined) {
        const pk = `${SERIAL_PREFIX}${encodeKey(q.serialNumber)}`;
        await collect(`${odata`PartitionKey eq ${pk}`}${and}`, limit, out);
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
    },
  };
}
