/**
 * The dashboard's timeline: inline SVG with the Pacific days and an hour scale across the top, a row per rule
 * (business hours, holidays, Pacific days saved and charged, planned ▼ stops and ▲ reactivations, and the
 * actual state now: entitlement statuses and, once VMs are paired, VM power states), a row per pool (bounds in
 * force, holidays of its capacity schedules, releases due, claim expiries, delivery retries, and its numbers
 * now), and one "now" line across every row. Two layouts of the same content: `wide` (labels beside the rows,
 * for laptops) and `compact` (labels above the rows, the week across a phone's width). Drawn with the SVG week
 * picture's pieces (`lib/rules/svg-draw.ts`), so both read the same. Pure.
 */
import {
  drawAxis,
  drawBands,
  drawMarkers,
  drawNow,
  el,
  escapeXml,
  round1,
  timeScale,
  title,
  type TimeScale,
} from '../rules';
import { countBy, plural, ptTime } from './format';
import type { PoolStatus, PoolTimeline, RuleStatus, StatusReport } from './status-model';

/** A layout of the timeline, in SVG units (the picture scales to the width it is given). */
export interface TimelineLayout {
  name: 'wide' | 'compact';
  width: number;
  plotLeft: number;
  plotWidth: number;
}

/** Labels beside the rows; shown on wide screens. */
export const WIDE_LAYOUT: TimelineLayout = { name: 'wide', width: 1100, plotLeft: 290, plotWidth: 790 };
/** Labels above the rows; shown on phones. */
export const COMPACT_LAYOUT: TimelineLayout = { name: 'compact', width: 400, plotLeft: 8, plotWidth: 384 };

const HEADER = 40;
const GROUP_HEADING = 24;
const BAR_HEIGHT = 34;
const LINE = 13;
const MINI_BAR_WIDTH = 200;

const STATUS_ORDER = ['ACTIVE', 'STOPPED', 'PENDING'];
const POWER_ORDER = ['running', 'starting', 'stopping', 'stopped', 'deallocating', 'deallocated', 'unknown'];
const ROLE_ORDER = ['held', 'inUseOutsideClaims', 'releasing', 'reserve', 'unusable'];

/** Colour class of an entitlement status (the page's CSS defines them). */
export function statusClass(status: string): string {
  switch (status) {
    case 'ACTIVE':
      return 'st-active';
    case 'STOPPED':
      return 'st-stopped';
    case 'PENDING':
      return 'st-pending';
    default:
      return 'st-other';
  }
}

/** Colour class of a VM power state. */
export function powerClass(state: string): string {
  switch (state) {
    case 'running':
      return 'vm-running';
    case 'deallocated':
      return 'vm-deallocated';
    case 'stopped':
      return 'vm-stopped';
    case 'unknown':
      return 'vm-unknown';
    default:
      return 'vm-changing';
  }
}

/** Counts in the given order of keys, unknown keys last. */
function ordered(counts: [string, number][], order: readonly string[]): [string, number][] {
  const rank = (key: string) => (order.includes(key) ? order.indexOf(key) : order.length);
  return [...counts].sort((a, b) => rank(a[0]) - rank(b[0]));
}

function countsText(counts: [string, number][]): string {
  return counts.map(([key, n]) => `${n} ${key.toLowerCase()}`).join(' · ');
}

/** A stacked bar of counts (the actual state now), each segment titled. */
interface MiniBar {
  counts: [string, number][];
  classOf: (key: string) => string;
  what: string;
}

function drawMiniBar(bar: MiniBar, x: number, y: number, width: number): string {
  const total = bar.counts.reduce((sum, [, n]) => sum + n, 0);
  if (total === 0) return '';
  let cursor = x;
  return bar.counts
    .map(([key, n]) => {
      const w = round1((n / total) * width);
      const part = el(
        'rect',
        { class: bar.classOf(key), x: cursor, y, width: Math.max(1, w), height: 6 },
        title(`${bar.what} ${key}: ${n}`),
      );
      cursor = round1(cursor + w);
      return part;
    })
    .join('');
}

/** What a row shows, independent of the layout. */
interface RowContent {
  kind: 'rule-row' | 'pool-row';
  dataKey: 'data-rule' | 'data-pool';
  name: string;
  /**
   * Label lines under the name; `alert` ones are drawn in red. In the wide layout `under` lines go below the
   * bar (left or right aligned) instead of beside it.
   */
  lines: { text: string; alert?: boolean; under?: 'left' | 'right' }[];
  bars: MiniBar[];
  /** Plot markup drawn into the bar at (barTop, BAR_HEIGHT). */
  plot: (scale: TimeScale, barTop: number) => string;
}

function ruleContent(
  rule: RuleStatus,
  timeline: StatusReport['timeline']['rules'][number] | undefined,
): RowContent {
  const statuses = ordered(
    countBy(rule.entitlements, (e) => e.actual),
    STATUS_ORDER,
  );
  const vms = ordered(
    countBy(
      rule.entitlements.filter((e) => e.vm !== undefined),
      (e) => e.vm!.powerState,
    ),
    POWER_ORDER,
  );
  const state =
    rule.activeNow === undefined ? '' : rule.activeNow ? ' · business hours now' : ' · off-hours now';
  const lines: RowContent['lines'] = [
    { text: `${rule.timezone ?? 'schedule not defined'}${state}` },
    {
      text: `${countsText(statuses) || 'no entitlements'}${rule.counts.pending > 0 ? ` · ${rule.counts.pending} to change` : ''}`,
      alert: rule.counts.pending > 0,
    },
  ];
  if (vms.length > 0) lines.push({ text: `VMs: ${countsText(vms)}`, under: 'left' });
  if (timeline) {
    lines.push({
      text: `${plural(timeline.ptDaysSaved, 'PT day')} saved in this range, ${timeline.pointsSaved} points`,
      under: 'right',
    });
  }
  const bars: MiniBar[] = [{ counts: statuses, classOf: statusClass, what: 'entitlements' }];
  if (vms.length > 0) bars.push({ counts: vms, classOf: powerClass, what: 'VMs' });
  return {
    kind: 'rule-row',
    dataKey: 'data-rule',
    name: rule.name,
    lines,
    bars,
    plot: (scale, barTop) =>
      timeline
        ? drawBands(scale, timeline.bands, barTop, BAR_HEIGHT) + drawMarkers(scale, timeline.markers, barTop)
        : '',
  };
}

function poolMarker(scale: TimeScale, marker: PoolTimeline['markers'][number], barTop: number): string {
  const x = scale.x(Date.parse(marker.at));
  const y = barTop - 1;
  const d =
    marker.kind === 'releaseDue'
      ? `M${round1(x - 5)} ${y - 8} L${round1(x + 5)} ${y - 8} L${x} ${y} Z`
      : marker.kind === 'delivery'
        ? `M${x} ${y - 9} L${round1(x + 4)} ${y - 4.5} L${x} ${y} L${round1(x - 4)} ${y - 4.5} Z`
        : `M${round1(x - 1)} ${y - 9} L${round1(x + 1)} ${y - 9} L${round1(x + 1)} ${y} L${round1(x - 1)} ${y} Z`;
  const cls =
    marker.kind === 'releaseDue' ? 'release-due' : marker.kind === 'delivery' ? 'delivery' : 'claim-expires';
  return el('path', { class: cls, d }, title(marker.label));
}

function boundsPlot(scale: TimeScale, timeline: PoolTimeline | undefined, barTop: number): string {
  const parts: string[] = [];
  for (const stretch of timeline?.bounds ?? []) {
    const x1 = scale.x(Date.parse(stretch.start));
    const x2 = scale.x(Date.parse(stretch.end));
    const label = `min ${stretch.min} · max ${stretch.max}`;
    parts.push(
      el(
        'rect',
        {
          class: stretch.schedule ? 'bounds bounds-scheduled' : 'bounds',
          x: x1,
          y: barTop + BAR_HEIGHT / 2,
          width: round1(Math.max(0.5, x2 - x1)),
          height: BAR_HEIGHT / 2,
        },
        title(
          `${label}${stretch.schedule ? ` while ${stretch.schedule} is active` : ''} (${ptTime(stretch.start)} – ${ptTime(stretch.end)})`,
        ),
      ),
    );
    if (x2 - x1 > 90) {
      parts.push(
        el(
          'text',
          {
            class: 'bounds-label',
            x: round1((x1 + x2) / 2),
            y: barTop + BAR_HEIGHT - 5,
            'text-anchor': 'middle',
          },
          escapeXml(label),
        ),
      );
    }
  }
  if (timeline) {
    parts.push(drawBands(scale, timeline.bands, barTop, BAR_HEIGHT));
    parts.push(timeline.markers.map((m) => poolMarker(scale, m, barTop)).join(''));
  }
  return parts.join('');
}

function poolContent(pool: PoolStatus, timeline: PoolTimeline | undefined): RowContent {
  const roles = ordered(
    countBy(pool.members, (m) => m.role),
    ROLE_ORDER,
  );
  const bounds = `bounds ${pool.bounds.min}–${pool.bounds.max}${pool.bounds.schedule ? ` (${pool.bounds.schedule})` : ''}`;
  const lines: RowContent['lines'] =
    pool.error !== undefined
      ? [{ text: `could not be read: ${pool.error.slice(0, 60)}`, alert: true }]
      : [
          { text: `size ${pool.size} · ${bounds}` },
          {
            text: `${pool.claimed} claimed · ${pool.inUseOutsideClaims} in use · ${plural(pool.pendingDeliveries.length, 'delivery', 'deliveries')}`,
            alert: pool.pendingDeliveries.some((d) => d.overdue),
          },
        ];
  return {
    kind: 'pool-row',
    dataKey: 'data-pool',
    name: `pool ${pool.name}`,
    lines,
    bars: [{ counts: roles, classOf: (role) => `role-${role}`, what: 'members' }],
    plot: (scale, barTop) => boundsPlot(scale, timeline, barTop),
  };
}

/** Draws a row at `top`; returns its markup and height. */
function drawRow(layout: TimelineLayout, scale: TimeScale, row: RowContent, key: string, top: number) {
  const parts: string[] = [];
  const lineClass = (alert?: boolean) => (alert ? 'row-detail row-alert' : 'row-detail');
  let barTop: number;
  let height: number;
  if (layout.name === 'wide') {
    parts.push(el('text', { class: 'row-name', x: 8, y: top + 16 }, escapeXml(row.name)));
    const beside = row.lines.filter((line) => line.under === undefined);
    beside.forEach((line, i) =>
      parts.push(
        el('text', { class: lineClass(line.alert), x: 8, y: top + 29 + i * LINE }, escapeXml(line.text)),
      ),
    );
    for (const line of row.lines.filter((l) => l.under !== undefined)) {
      const right = line.under === 'right';
      parts.push(
        el(
          'text',
          {
            class: lineClass(line.alert),
            x: right ? scale.left + scale.width : scale.left,
            y: top + 16 + BAR_HEIGHT + 11,
            'text-anchor': right ? 'end' : 'start',
          },
          escapeXml(line.text),
        ),
      );
    }
    const barsTop = top + 22 + beside.length * LINE;
    row.bars.forEach((bar, i) => parts.push(drawMiniBar(bar, 8, barsTop + i * 8, MINI_BAR_WIDTH)));
    barTop = top + 16;
    height = Math.max(64, barsTop + row.bars.length * 8 + 6 - top);
  } else {
    parts.push(el('text', { class: 'row-name', x: 8, y: top + 13 }, escapeXml(row.name)));
    row.lines.forEach((line, i) =>
      parts.push(
        el('text', { class: lineClass(line.alert), x: 8, y: top + 26 + i * LINE }, escapeXml(line.text)),
      ),
    );
    const barsTop = top + 19 + row.lines.length * LINE;
    row.bars.forEach((bar, i) => parts.push(drawMiniBar(bar, 8, barsTop + i * 8, layout.plotWidth)));
    barTop = barsTop + row.bars.length * 8 + 12;
    height = barTop + BAR_HEIGHT + 10 - top;
  }
  parts.push(el('rect', { class: 'row', x: scale.left, y: barTop, width: scale.width, height: BAR_HEIGHT }));
  parts.push(row.plot(scale, barTop));
  return { markup: el('g', { class: row.kind, [row.dataKey]: key }, parts.join('')), height };
}

/** The timeline of `report` as inline SVG markup in `layout` (escaped throughout). */
export function renderDashboardTimeline(report: StatusReport, layout: TimelineLayout = WIDE_LAYOUT): string {
  const from = Date.parse(report.timeline.from);
  const to = Date.parse(report.timeline.to);
  const scale = timeScale(from, to, layout.plotLeft, layout.plotWidth);
  const body: string[] = [];
  let y = HEADER;
  const group = (heading: string, rows: { content: RowContent; key: string }[]) => {
    if (rows.length === 0) return;
    body.push(el('text', { class: 'group-heading', x: 8, y: y + 16 }, escapeXml(heading)));
    y += GROUP_HEADING;
    for (const row of rows) {
      const drawn = drawRow(layout, scale, row.content, row.key, y);
      body.push(drawn.markup);
      y += drawn.height;
    }
  };
  group(
    'Rules',
    report.rules.map((rule) => ({
      content: ruleContent(
        rule,
        report.timeline.rules.find((t) => t.rule === rule.name),
      ),
      key: rule.name,
    })),
  );
  group(
    'Pools',
    report.pools.map((pool) => ({
      content: poolContent(
        pool,
        report.timeline.pools.find((t) => t.pool === pool.name),
      ),
      key: pool.name,
    })),
  );
  const bottom = y + 4;
  // Room for the "now" label under the rows.
  const height = bottom + 16;
  const titleId = `timeline-title-${layout.name}`;
  const summary =
    `Timeline ${ptTime(report.timeline.from)} to ${ptTime(report.timeline.to)}: ` +
    `${plural(report.rules.length, 'rule')} and ${plural(report.pools.length, 'pool')}; now is ${ptTime(report.at)}.`;
  return el(
    'svg',
    {
      xmlns: 'http://www.w3.org/2000/svg',
      class: `timeline timeline-${layout.name}`,
      viewBox: `0 0 ${layout.width} ${height}`,
      width: layout.width,
      height,
      role: 'img',
      'aria-labelledby': titleId,
      'data-from': report.timeline.from,
      'data-to': report.timeline.to,
    },
    el('title', { id: titleId }, escapeXml(summary)) +
      drawAxis(scale, { labelY: 14, hourY: 32, lineTop: 18, lineBottom: bottom }) +
      body.join('') +
      drawNow(scale, new Date(report.at), 18, bottom),
  );
}
