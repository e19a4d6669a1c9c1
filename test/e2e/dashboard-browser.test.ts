/**
 * The dashboard in a real browser: the status function's page (`GET /api/status?format=html`) over the
 * simulator and Azurite, after a reconcile run with a failed stop, served from loopback to headless Chromium
 * at laptop and phone widths. Checks: no console errors, nothing loaded but the page, the "now" line where the
 * instant puts it, pools and errors on screen, no serious or critical axe-core violations; screenshots go to
 * `test-output/` for people to look at.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import axe from 'axe-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReconcile } from '../../src/app/reconcile/reconcile';
import { createStatusHandler } from '../../src/functions/status';
import { COMPACT_LAYOUT, WIDE_LAYOUT, type TimelineLayout } from '../../src/lib/views/dashboard-timeline';
import { startBrowser, serve, type Browser } from '../support/browser';
import { createContext, createHttpRequest } from '../support/functions';
import { POOL_STATUS_POLICY, startHarness, type Harness } from './harness';

const OUTPUT = path.resolve(__dirname, '../../test-output');

let h: Harness;
let browser: Browser;
let site: Awaited<ReturnType<typeof serve>>;
let html: string;

beforeAll(async () => {
  h = await startHarness({ policy: POOL_STATUS_POLICY });
  h.sim.faults.add({
    endpoint: 'entitlements/stop',
    times: 1,
    fault: { kind: 'envelope', message: 'Unable to stop.' },
  });
  await runReconcile(h.deps, h.deps.now());
  const response = await createStatusHandler(async () => h.deps)(
    createHttpRequest({ path: '/api/status', query: { format: 'html' } }),
    createContext('status').context,
  );
  html = String(response.body);
  site = await serve({
    '/api/status?format=html': { body: html, headers: response.headers as Record<string, string> },
  });
  browser = await startBrowser();
  await mkdir(OUTPUT, { recursive: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await site?.close();
  await h?.stop();
});

const VIEWS: { name: string; width: number; height: number; layout: TimelineLayout }[] = [
  { name: 'laptop', width: 1366, height: 900, layout: WIDE_LAYOUT },
  { name: 'phone', width: 390, height: 844, layout: COMPACT_LAYOUT },
];

describe('the dashboard in Chromium', () => {
  for (const view of VIEWS) {
    it(`renders at ${view.name} width with the now line in place, pools, errors and no serious axe violations`, async () => {
      const page = await browser.context.newPage();
      const problems: string[] = [];
      const requests: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(message.text());
      });
      page.on('pageerror', (error) => problems.push(error.message));
      page.on('request', (request) => requests.push(request.url()));
      await page.setViewportSize({ width: view.width, height: view.height });
      await page.goto(`${site.url}/api/status?format=html`);

      expect(problems).toEqual([]);
      expect(requests).toEqual([`${site.url}/api/status?format=html`]);
      // Nothing wider than the screen except inside the labelled scroll regions.
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(
        view.width,
      );

      // The "now" line: x from the instant, in SVG units and on screen.
      const svg = page.locator(`svg.timeline-${view.layout.name}`);
      await expect.poll(() => svg.isVisible()).toBe(true);
      const from = Date.parse((await svg.getAttribute('data-from'))!);
      const to = Date.parse((await svg.getAttribute('data-to'))!);
      const now = h.deps.now().getTime();
      const expectedX = view.layout.plotLeft + ((now - from) / (to - from)) * view.layout.plotWidth;
      const line = svg.locator('g.now line');
      expect(Number(await line.getAttribute('x1'))).toBeCloseTo(expectedX, 0);
      const svgBox = (await svg.boundingBox())!;
      const lineBox = (await line.boundingBox())!;
      const onScreen = svgBox.x + (expectedX * svgBox.width) / view.layout.width;
      expect(Math.abs(lineBox.x + lineBox.width / 2 - onScreen)).toBeLessThan(1.5);

      // Pools and errors are on screen.
      await expect.poll(() => page.locator('tr[data-pool="vmss-fgt"]').isVisible()).toBe(true);
      await expect.poll(() => svg.locator('g.pool-row[data-pool="vmss-fgt"]').count()).toBe(1);
      await expect.poll(() => page.getByText('Unable to stop.').first().isVisible()).toBe(true);

      // axe-core in the page (the page's CSP forbids scripts; the driver's evaluation is not a page script).
      await page.evaluate(axe.source);
      const violations = await page.evaluate<{ id: string; impact: string | null; nodes: number }[]>(
        `axe.run(document, { resultTypes: ['violations'] }).then((result) =>
          result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length })))`,
      );
      expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);

      await page.screenshot({ path: path.join(OUTPUT, `dashboard-${view.name}.png`), fullPage: true });
      await page.close();
    });
  }
});
