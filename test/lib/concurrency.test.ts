import { describe, expect, it } from 'vitest';
import { mapWithConcurrency } from '../../src/lib/concurrency';

describe('mapWithConcurrency', () => {
  it('keeps input order and never has more than `limit` calls in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    const results = await mapWithConcurrency([50, 10, 30, 0, 20, 5, 15], 3, async (ms, index) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, ms));
      inFlight -= 1;
      return index * 10;
    });
    expect(peak).toBe(3);
    expect(results).toEqual([0, 10, 20, 30, 40, 50, 60].map((value) => ({ status: 'fulfilled', value })));
  });

  it('settles failures (thrown or rejected) without stopping the other items', async () => {
    const results = await mapWithConcurrency(['a', 'b', 'c'], 2, (item) => {
      if (item === 'a') throw new Error('sync a');
      if (item === 'b') return Promise.reject(new Error('async b'));
      return Promise.resolve(item.toUpperCase());
    });
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
    expect((results[0] as PromiseRejectedResult).reason).toEqual(new Error('sync a'));
    expect(results[2]).toEqual({ status: 'fulfilled', value: 'C' });
  });

  it('handles an empty list and treats a limit below 1 as 1', async () => {
    await expect(mapWithConcurrency([], 4, () => Promise.resolve(1))).resolves.toEqual([]);
    let inFlight = 0;
    let peak = 0;
    await mapWithConcurrency([1, 2, 3], 0, async () => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await Promise.resolve();
      inFlight -= 1;
    });
    expect(peak).toBe(1);
  });
});
