/**
 * The `scaler-work` queue. Messages are JSON, base64-encoded: the Functions storage-queue extension (v5)
 * decodes base64 by default (`messageEncoding: base64` in host.json), so the queue trigger receives the JSON.
 * The host moves a message that keeps failing to `scaler-work-poison`.
 */
import type { QueueClient } from '@azure/storage-queue';
import type { QueueMessage, StateStore } from './types';

/** Queue messages are limited to 64 KiB, counted on the encoded text. */
const MAX_ENCODED = 64 * 1024;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes a message body sent as base64 JSON, or as plain JSON text (both are accepted by the trigger). */
export function decodeMessage(text: string): unknown {
  const candidates =
    BASE64.test(text) && text !== '' ? [Buffer.from(text, 'base64').toString('utf8'), text] : [text];
  for (const candidate of candidates) {
    try {
      return JSON.parse(candidate) as unknown;
    } catch {
      // not JSON in this form; try the next
    }
  }
  return text;
}

/** Encodes `message` as base64 JSON. */
export function encodeMessage(message: unknown): string {
  const json = JSON.stringify(message);
  if (json === undefined) throw new TypeError('queue.send: message must be JSON-serialisable');
  const encoded = Buffer.from(json, 'utf8').toString('base64');
  if (encoded.length > MAX_ENCODED) {
    throw new RangeError(
      `queue.send: message is ${encoded.length} bytes encoded — expected at most ${MAX_ENCODED}`,
    );
  }
  return encoded;
}

/** The `queue` part of the store. */
export function queueStore(
  work: QueueClient,
  poison: QueueClient,
  ensure: () => Promise<void>,
): StateStore['queue'] {
  const pick = (options?: { poison?: boolean }): QueueClient => (options?.poison ? poison : work);
  return {
    name: work.name,
    poisonName: poison.name,
    async send(message, options) {
      const text = encodeMessage(message);
      const delay = options?.delaySeconds;
      if (delay !== undefined && (!Number.isInteger(delay) || delay < 0 || delay > 7 * 24 * 3600)) {
        throw new RangeError(`queue.send: delaySeconds ${delay} — expected an integer from 0 to 604800`);
      }
      await ensure();
      await work.sendMessage(text, delay ? { visibilityTimeout: delay } : {});
    },
    async receive(max = 1, options) {
      if (!Number.isInteger(max) || max < 1 || max > 32) {
        throw new RangeError(`queue.receive: max ${max} — expected an integer from 1 to 32`);
      }
      await ensure();
      const response = await pick(options).receiveMessages({
        numberOfMessages: max,
        ...(options?.visibilityTimeoutSeconds !== undefined && {
          visibilityTimeout: options.visibilityTimeoutSeconds,
        }),
      });
      return response.receivedMessageItems.map((m): QueueMessage => ({
        messageId: m.messageId,
        popReceipt: m.popReceipt,
        dequeueCount: m.dequeueCount,
        body: decodeMessage(m.messageText),
      }));
    },
    async delete(message, options) {
      await ensure();
      await pick(options).deleteMessage(message.messageId, message.popReceipt);
    },
  };
}
