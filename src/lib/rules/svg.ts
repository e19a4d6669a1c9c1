/**
 * A week timeline of a forecast as SVG: one row per rule with its business hours shaded (the schedule's
 * zone, local day names along the row), Pacific billing day boundaries across all rows, stop and
 * reactivation markers, the Pacific days saved shaded, and per row the zone and the points saved that week.
 * Plain string building; every text and attribute value is escaped, so the output is well-formed XML.
 */
import { DateTime } from 'luxon';
import { BILLING_ZONE, ptDayStart, roundPoints } from './billing';
import type { Forecast, RuleForecast } from './forecast';

const HOUR_MS = 3_600_000;
const LABEL_WIDTH = 240;
const PLOT_WIDTH = 980;
const HEADER_HEIGHT = 56;
const ROW_HEIGHT = 64;
const FOOTER_HEIGHT = 40;

/** Options of {@link renderTimelineSvg}. */
export interface TimelineOptions {
  /** First instant of the week drawn; default the forecast's `from`. */
  weekStart?: Date;
  /** Draw only this rule. */
  rule?: string;
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

/** Escapes text for XML content and attribute values. */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function attrs(values: Record<string, string | number | undefined>): string {
  return Object.entries(values)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => ` ${key}="${escapeXml(String(value))}"`)
    .join('');
}

function el(name: string, values: Record<string, string | number | undefined>, content?: string): string {
  return content === undefined
    ? `<${name}${attrs(values)}/>`
    : `<${name}${attrs(values)}>${content}</${name}>`;
}

/** Pacific days (with their start and end) whose start lies in [from, to). */
function ptDaysIn(from: number, to: number): { day: string; start: number; end: number }[] {
  const out: { day: string; start: number; end: number }[] = [];
  let cursor = DateTime.fromMillis(from, { zone: BILLING_ZONE }).startOf('day');
  for (let guard = 0; guard < 10; guard++) {
    const day = cursor.toFormat('yyyy-MM-dd');
    const start = ptDayStart(day).getTime();
    const next = cursor.plus({ days: 1 });
    const end = ptDayStart(next.toFormat('yyyy-MM-dd')).getTime();
    if (start >= to) break;
    if (end > from) out.push({ day, start, end });
    cursor = next;
  }
  return out;
}

/** The saved Pacific days of a rule lying wholly inside [from, to). */
export function savedDaysInWeek(rule: RuleForecast, from: Date, to: Date): string[] {
  const days = new Set<string>();
  for (const window of rule.windows) {
    for (const day of window.ptDays) {
      const start = ptDayStart(day).getTime();
      if (start >= from.getTime() && start < to.getTime()) days.add(day);
    }
  }
  return [...days].sort();
}

/**
 * Renders a week of `forecast` as an SVG document. Elements carry classes (`business`, `saved`,
 * `pt-boundary`, `stop`, `reactivate`) and saved days a `data-pt-day` attribute, so the picture can be
 * styled and checked.
 */
export function renderTimelineSvg(forecast: Forecast, options: TimelineOptions = {}): string {
  const from = (options.weekStart ?? new Date(forecast.from)).getTime();
  // Seven Pacific calendar days (wall clock), so a week with a DST change still ends on a PT midnight.
  const to = DateTime.fromMillis(from, { zone: BILLING_ZONE }).plus({ days: 7 }).toMillis();
  const span = to - from;
  const rules = forecast.rules.filter((r) => options.rule === undefined || r.rule === options.rule);
  const width = LABEL_WIDTH + PLOT_WIDTH + 20;
  const height = HEADER_HEIGHT + rules.length * ROW_HEIGHT + FOOTER_HEIGHT;
  const x = (ms: number): number =>
    round1(LABEL_WIDTH + ((Math.min(Math.max(ms, from), to) - from) / span) * PLOT_WIDTH);
  const parts: string[] = [];
  const weekLabel = `${DateTime.fromMillis(from, { zone: BILLING_ZONE }).toFormat('yyyy-MM-dd HH:mm')} – ${DateTime.fromMillis(to, { zone: BILLING_ZONE }).toFormat('yyyy-MM-dd HH:mm')} ${BILLING_ZONE}`;
  parts.push(el('title', {}, escapeXml(`FortiFlex week timeline ${weekLabel}`)));
  parts.push(
    el(
      'style',
      {},
      escapeXml(
        'text{font-family:sans-serif;font-size:11px;fill:#222}.business{fill:#cfe3ff}.saved{fill:#9be29b;opacity:.7}' +
          '.unprofitable{fill:#f6d2d2;opacity:.6}.pt-boundary{stroke:#888;stroke-dasharray:3 3}.stop{fill:#c0392b}' +
          '.reactivate{fill:#1e8449}.row{fill:#fafafa;stroke:#ddd}.local-day{stroke:#bbb}',
      ),
    ),
  );
  parts.push(el('rect', { x: 0, y: 0, width, height, fill: '#ffffff' }));
  parts.push(el('text', { x: 8, y: 16, class: 'heading' }, escapeXml(`Week ${weekLabel}`)));

  // Pacific billing days: boundaries across every row, labels in the header.
  for (const d of ptDaysIn(from, to)) {
    if (d.start >= from) {
      parts.push(
        el('line', {
          class: 'pt-boundary',
          x1: x(d.start),
          x2: x(d.start),
          y1: 24,
          y2: HEADER_HEIGHT + rules.length * ROW_HEIGHT,
        }),
      );
    }
    // A sliver of a day at the week's edge gets no label (it would overlap its neighbour's).
    if (Math.min(d.end, to) - Math.max(d.start, from) < 6 * HOUR_MS) continue;
    const label = `${DateTime.fromISO(d.day, { zone: BILLING_ZONE }).toFormat('ccc MM-dd')} PT`;
    parts.push(
      el(
        'text',
        { class: 'pt-day', x: round1((x(d.start) + x(d.end)) / 2), y: 44, 'text-anchor': 'middle' },
        escapeXml(label),
      ),
    );
  }

  rules.forEach((rule, index) => {
    const top = HEADER_HEIGHT + index * ROW_HEIGHT;
    const barTop = top + 22;
    const barHeight = ROW_HEIGHT - 30;
    const saved = savedDaysInWeek(rule, new Date(from), new Date(to));
    const points = roundPoints(saved.length * rule.pointsPerDay);
    const row: string[] = [];
    row.push(el('rect', { class: 'row', x: LABEL_WIDTH, y: barTop, width: PLOT_WIDTH, height: barHeight }));
    for (const interval of rule.intervals) {
      const start = Date.parse(interval.start);
      const end = Date.parse(interval.end);
      if (!interval.active || end <= from || start >= to) continue;
      row.push(
        el('rect', {
          class: 'business',
          x: x(start),
          y: barTop,
          width: round1(Math.max(0.5, x(end) - x(start))),
          height: barHeight,
        }),
      );
    }
    for (const day of saved) {
      const start = ptDayStart(day).getTime();
      const end = ptDaysIn(start, start + 1)[0]?.end ?? start;
      row.push(
        el(
          'rect',
          {
            class: 'saved',
            'data-pt-day': day,
            x: x(start),
            y: barTop + barHeight / 2,
            width: round1(Math.max(0.5, x(end) - x(start))),
            height: barHeight / 2,
          },
          el('title', {}, escapeXml(`${day} PT saved`)),
        ),
      );
    }
    for (const window of rule.windows) {
      const stopAt = Date.parse(window.stopAt);
      const start = Date.parse(window.start);
      const end = window.end === null ? Infinity : Date.parse(window.end);
      if (window.unprofitable && end > from && start < to) {
        row.push(
          el(
            'rect',
            {
              class: 'unprofitable',
              x: x(start),
              y: barTop + barHeight / 2,
              width: round1(Math.max(0.5, x(end) - x(start))),
              height: barHeight / 2,
            },
            el(
              'title',
              {},
              escapeXml(`${window.startLocal} – ${window.endLocal ?? '…'}: no whole Pacific day`),
            ),
          ),
        );
      }
      if (window.stops && stopAt >= from && stopAt < to) {
        const cx = x(stopAt);
        row.push(
          el(
            'path',
            { class: 'stop', d: `M${cx - 5} ${barTop - 9} L${cx + 5} ${barTop - 9} L${cx} ${barTop - 1} Z` },
            el('title', {}, escapeXml(`stop ${window.startLocal} ${rule.timezone}`)),
          ),
        );
      }
      if (window.stops && end >= from && end < to && window.endLocal !== null) {
        const cx = x(end);
        row.push(
          el(
            'path',
            {
              class: 'reactivate',
              d: `M${cx - 5} ${barTop - 1} L${cx + 5} ${barTop - 1} L${cx} ${barTop - 9} Z`,
            },
            el('title', {}, escapeXml(`reactivate ${window.endLocal} ${rule.timezone}`)),
          ),
        );
      }
    }
    // Local day names along the row, in the schedule's zone.
    let local = DateTime.fromMillis(from, { zone: rule.timezone }).startOf('day');
    for (let guard = 0; guard < 9 && local.toMillis() < to; guard++) {
      const start = local.toMillis();
      const next = local.plus({ days: 1 });
      if (start >= from) {
        row.push(
          el('line', { class: 'local-day', x1: x(start), x2: x(start), y1: barTop, y2: barTop + barHeight }),
        );
      }
      const mid = round1((x(start) + x(next.toMillis())) / 2);
      row.push(
        el(
          'text',
          { class: 'local-day-name', x: mid, y: barTop + 12, 'text-anchor': 'middle' },
          escapeXml(local.toFormat('ccc')),
        ),
      );
      local = next;
    }
    parts.push(
      el(
        'g',
        { class: 'rule', 'data-rule': rule.rule },
        [
          el('text', { class: 'rule-name', x: 8, y: top + 30 }, escapeXml(rule.rule)),
          el('text', { class: 'zone', x: 8, y: top + 44 }, escapeXml(rule.timezone)),
          el(
            'text',
            { class: 'points', x: 8, y: top + 58 },
            escapeXml(`${saved.length} PT day${saved.length === 1 ? '' : 's'} saved, ${points} points`),
          ),
          ...row,
        ].join(''),
      ),
    );
  });

  const legendY = HEADER_HEIGHT + rules.length * ROW_HEIGHT + 24;
  const legend: [string, string][] = [
    ['business', 'business hours (local zone)'],
    ['saved', 'Pacific day saved'],
    ['unprofitable', 'off-hours, no whole Pacific day'],
  ];
  legend.forEach(([cls, text], i) => {
    const lx = LABEL_WIDTH + i * 260;
    parts.push(el('rect', { class: cls, x: lx, y: legendY - 10, width: 14, height: 12 }));
    parts.push(el('text', { x: lx + 20, y: legendY }, escapeXml(text)));
  });

  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<svg xmlns="http://www.w3.org/2000/svg"${attrs({ width, height, viewBox: `0 0 ${width} ${height}` })}>` +
    parts.join('') +
    '</svg>\n'
  );
}
