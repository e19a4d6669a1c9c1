/**
 * Dashboard benchmark: renders the status page (`renderDashboardHtml`) of 500 entitlements (three rules, a
 * pool, VMs paired, last actions and errors) and compares it with two baselines measured in the same run: the
 * same page for 50 entitlements, and the existing SVG week timeline of the same forecast (the picture the
 * status function drew before the dashboard). Prints the median times, their ratios and the page size.
 * Target: 500 entitlements render in under a second.
 */
import { performance } from 'node:perf_hooks';
import { forecast, ptDayStart, renderTimelineSvg, validatePolicy } from '../src/lib/rules';
import { renderDashboardHtml } from '../src/lib/views/dashboard';
import { sampleReport } from '../test/support/status-report';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function time(fn: () => unknown, runs: number): number {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn();
    samples.push(performance.now() - start);
  }
  return median(samples);
}

/** Runs the benchmark and prints its figures. */
export async function run(log: (line: string) => void): Promise<void> {
  const large = sampleReport({ entitlements: 500, vms: true });
  const small = sampleReport({ entitlements: 50, vms: true });
  const policy = validatePolicy({
    fortiflex: { accountId: 1, programSerialNumber: 'ELAVMR0000000519' },
    schedules: { office: { timezone: 'Europe/Berlin', active: ['Mon-Fri 07:00-19:00'] } },
    rules: ['branches', 'labs', 'us-east'].map((name, i) => ({
      name,
      select: { configIds: [2198 + i] },
      schedule: 'office',
    })),
    rates: { 2198: 6.5, 2199: 3.25, 2200: 13 },
  });
  const week = forecast({
    policy,
    entitlements: [],
    from: ptDayStart('2026-10-19'),
    to: ptDayStart('2026-10-26'),
  });
  // Warm the JIT, then take medians.
  for (let i = 0; i < 5; i++) {
    renderDashboardHtml(large);
    renderDashboardHtml(small);
    renderTimelineSvg(week);
  }
  // A report the renderer has not seen (Saturday), timed once.
  const fresh = sampleReport({ entitlements: 500, vms: true, at: '2026-10-24T18:00:00.000Z' });
  const coldStart = performance.now();
  renderDashboardHtml(fresh);
  const cold = performance.now() - coldStart;
  const t500 = time(() => renderDashboardHtml(large), 21);
  const t50 = time(() => renderDashboardHtml(small), 21);
  const tSvg = time(() => renderTimelineSvg(week), 21);
  const page = renderDashboardHtml(large);
  const bytes = Buffer.byteLength(page);
  const gzip = (await import('node:zlib')).gzipSync(page).length;
  log(
    `entitlements 500 (3 rules, 1 pool, VMs paired); page ${(bytes / 1024).toFixed(0)} KiB, ${(gzip / 1024).toFixed(0)} KiB gzipped`,
  );
  log(
    `renderDashboardHtml, 500 entitlements: ${t500.toFixed(2)} ms (median of 21); one run on a fresh report ${cold.toFixed(2)} ms`,
  );
  log(
    `baseline: the same page for 50 entitlements: ${t50.toFixed(2)} ms; ratio 500/50: ${(t500 / t50).toFixed(1)}×`,
  );
  log(
    `baseline: renderTimelineSvg of a week (3 rules): ${tSvg.toFixed(2)} ms; ratio page/SVG: ${(t500 / tSvg).toFixed(1)}×`,
  );
  log(`target < 1000 ms for 500 entitlements: ${Math.max(t500, cold) < 1000 ? 'met' : 'MISSED'}`);
}
