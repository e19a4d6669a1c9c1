/**
 * Table `intents`: pool changes written ahead (PK pool, RK the intent id). A pool step stores its intent with
 * its `started` audit row before the FortiFlex call and deletes it once the outcome is audited, so the table
 * holds only changes in flight or interrupted; the next run of the pool lists it (one partition query, empty
 * almost always) and resolves what it finds.
 */
import { odata, type TableClient, type TableEntityResult } from '@azure/data-tables';
import { clip, defined, encodeKey, statusOf } from './keys';
import { redactText } from './redact';
import type { ChangeIntent, StateStore } from './types';

/** A create intent remembers at most this many member serials (a pool is far smaller). */
const MAX_KNOWN = 2_000;

function fromEntity(e: TableEntityResult<Record<string, unknown>>): ChangeIntent {
  const text = (key: string): string | undefined =>
    typeof e[key] === 'string' ? (e[key] as string) : undefined;
  let known: string[] | undefined;
  const raw = text('known');
  if (raw !== undefined) {
    try {
      const parsed = JSON.parse(raw) as unknown;
      if (Array.isArray(parsed)) known = parsed.filter((s): s is string => typeof s === 'string');
    } catch {
      known = undefined;
    }
  }
  return defined({
    pool: text('pool') ?? '',
    id: text('id') ?? '',
    action: text('action') ?? '',
    serialNumber: text('serialNumber'),
    count: typeof e.count === 'number' ? e.count : undefined,
    known,
    at: text('at') ?? '',
    runId: text('runId') ?? '',
    actor: text('actor') ?? '',
    reason: text('reason') ?? '',
    etag: e.etag,
  });
}

/** The `intents` part of the store. */
export function intentsStore(client: TableClient, ensure: () => Promise<void>): StateStore['intents'] {
  return {
    async add(intent) {
      if (intent.known !== undefined && intent.known.length > MAX_KNOWN) {
        throw new RangeError(`intents.add: known holds more than ${MAX_KNOWN} serials`);
      }
      await ensure();
      const { etag: _etag, known, ...fields } = intent;
      const response = await client.createEntity(
        defined({
          partitionKey: encodeKey(intent.pool),
          rowKey: encodeKey(intent.id),
          ...fields,
          runId: clip(intent.runId, 200),
          reason: clip(redactText(intent.reason), 1_000),
          known: known === undefined ? undefined : JSON.stringify(known),
        }),
      );
      return { ...intent, ...(response.etag !== undefined && { etag: response.etag }) };
    },

    async list(pool) {
      await ensure();
      const out: ChangeIntent[] = [];
      const filter = odata`PartitionKey eq ${encodeKey(pool)}`;
      for await (const e of client.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
        out.push(fromEntity(e));
      }
      return out.sort((a, b) => a.id.localeCompare(b.id));
    },

    async delete(pool, id) {
      await ensure();
      try {
        await client.deleteEntity(encodeKey(pool), encodeKey(id));
      } catch (error) {
        if (statusOf(error) !== 404) throw error;
      }
    },
  };
}
