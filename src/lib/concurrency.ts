/**
 * Bounded concurrency for bulk operations (reconcile applies, pool scaling): run `fn` over `items` with at
 * most `limit` calls in flight, keep the input order, and settle every item so one failure never hides the
 * others' outcomes.
 */

/**
 * Maps `items` through `fn` with at most `limit` promises pending at once. Resolves to one settled result
 * per item, in input order; never rejects (a throwing `fn` becomes a `rejected` entry).
 */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> {
  const results = new Array<PromiseSettledResult<R>>(items.length);
  const workers = Math.max(
    1,
    Math.min(Number.isFinite(limit) ? Math.floor(limit) : items.length, items.length),
  );
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      try {
        results[index] = { status: 'fulfilled', value: await fn(items[index] as T, index) };
      } catch (reason) {
        results[index] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: items.length === 0 ? 0 : workers }, worker));
  return results;
}
