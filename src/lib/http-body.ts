/**
 * Size-capped request bodies for the HTTP adapters: a declared `Content-Length` over the cap is refused
 * before anything is read, and a body without one (chunked) is read only up to the cap, so an oversized
 * request never ends up in one buffer of ours.
 */

/** True when a `Content-Length` header declares more than `max` bytes (a malformed value declares nothing). */
export function declaresMoreThan(contentLength: string | null | undefined, max: number): boolean {
  const value = contentLength?.trim();
  return value !== undefined && /^\d+$/.test(value) && Number(value) > max;
}

/**
 * Reads `stream` up to `max` bytes. Returns the bytes, or undefined as soon as the body passes `max` (the
 * rest is cancelled, not read).
 */
export async function readAtMost(
  stream: ReadableStream<unknown> | null | undefined,
  max: number,
): Promise<Uint8Array | undefined> {
  if (!stream) return new Uint8Array(0);
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const chunk =
        value instanceof Uint8Array
          ? value
          : typeof value === 'string'
            ? Buffer.from(value, 'utf8')
            : new Uint8Array(value as ArrayBuffer);
      total += chunk.byteLength;
      if (total > max) {
        await reader.cancel().catch(() => undefined);
        return undefined;
      }
      chunks.push(chunk);
    }
  } finally {
    reader.releaseLock();
  }
  return new Uint8Array(Buffer.concat(chunks));
}
