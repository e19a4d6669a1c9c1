/**
 * Drawing pieces shared by the SVG week picture (`svg.ts`) and the status dashboard's inline timeline: XML
 * escaping and element building, a time scale, the Pacific-day axis with its hour scale, timeline bands and
 * markers, the "now" line, and the legend. Plain string building; every text and attribute value is escaped,
 * so whatever a caller or FortiFlex supplied (rule names, descriptions) cannot break out of the markup.
 */
import { DateTime } from 'luxon';
import { BILLING_ZONE } from './billing';
import { ptDaysIn, ptHourTicks, type TimelineBand, type TimelineMarker } from './timeline';

const HOUR_MS = 3_600_000;

/** Escapes text for XML (and HTML) content and attribute values. */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Attribute list with escaped values; undefined values are left out. */
export function attrs(values: Record<string, string | number | undefined>): string {
  return Object.entries(values)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => ` ${key}="${escapeXml(String(value))}"`)
    .join('');
}

/** An element; `content` is markup (escape text with {@link escapeXml} or build it with `el`). */
export function el(
  name: string,
  values: Record<string, string | number | undefined>,
  content?: string,
): string {
  return content === undefined
    ? `<${name}${attrs(values)}/>`
    : `<${name}${attrs(values)}>${content}</${name}>`;
}

/** A `<title>` child: the tooltip and accessible name of its parent. */
export function title(text: string): string {
  return el('title', {}, escapeXml(text));
}

/** Rounds to one decimal (coordinates). */
export function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

/** A linear map from instants in [from, to] to x coordinates in [left, left + width]. */
export interface TimeScale {
  from: number;
  to: number;
  left: number;
  width: number;
  /** x of instant `ms`, clamped to the range. */
  x(ms: number): number;
}

/** The scale of [from, to) drawn from `left` over `width` units. */
export function timeScale(from: number, to: number, left: number, width: number): TimeScale {
  const span = to - from;
  return {
    from,
    to,
    left,
    width,
    x: (ms) => round1(left + ((Math.min(Math.max(ms, from), to) - from) / span) * width),
  };
}

/** Hours between hour-scale ticks: the finest step that keeps ticks at least 24 units apart (0: none). */
export function hourStep(unitsPerHour: number): number {
  return [1, 2, 3, 6, 12].find((step) => step * unitsPerHour >= 24) ?? 0;
}

/**
 * The Pacific-day axis: day labels at `labelY`, an hour scale (PT) with labels at `hourY`, and dashed
 * boundaries at every PT midnight from `lineTop` to `lineBottom`.
 */
export function drawAxis(
  scale: TimeScale,
  geometry: { labelY: number; hourY: number; lineTop: number; lineBottom: number },
): string {
  const parts: string[] = [];
  const days = ptDaysIn(scale.from, scale.to);
  const unitsPerHour = (scale.width / (scale.to - scale.from)) * HOUR_MS;
  for (const d of days) {
    if (d.start >= scale.from) {
      parts.push(
        el('line', {
          class: 'pt-boundary',
          x1: scale.x(d.start),
          x2: scale.x(d.start),
          y1: geometry.lineTop,
          y2: geometry.lineBottom,
        }),
      );
    }
    // The label fits the day's visible width; a sliver at the range's edge gets none.
    const visible = ((Math.min(d.end, scale.to) - Math.max(d.start, scale.from)) / HOUR_MS) * unitsPerHour;
    const day = DateTime.fromISO(d.day, { zone: BILLING_ZONE });
    const label =
      visible >= 90 ? `${day.toFormat('ccc MM-dd')} PT` : visible >= 40 ? day.toFormat('ccc d') : '';
    if (label === '') continue;
    parts.push(
      el(
        'text',
        {
          class: 'pt-day',
          x: round1((scale.x(d.start) + scale.x(d.end)) / 2),
          y: geometry.labelY,
          'text-anchor': 'middle',
        },
        escapeXml(label),
      ),
    );
  }
  const step = hourStep(unitsPerHour);
  for (const tick of step === 0 ? [] : ptHourTicks(scale.from, scale.to, step)) {
    const x = scale.x(tick.at);
    parts.push(
      el('line', { class: 'hour-tick', x1: x, x2: x, y1: geometry.hourY + 3, y2: geometry.hourY + 8 }),
    );
    parts.push(
      el('text', { class: 'hour', x, y: geometry.hourY, 'text-anchor': 'middle' }, escapeXml(tick.label)),
    );
  }
  return parts.join('');
}

/** Band kinds drawn in the upper half of a row (the schedule); the others go in the lower half (billing). */
const UPPER: ReadonlySet<TimelineBand['kind']> = new Set(['business', 'holiday']);

/** Draws bands into a bar at [top, top + height): schedule bands above, billing bands below. */
export function drawBands(
  scale: TimeScale,
  bands: readonly TimelineBand[],
  top: number,
  height: number,
): string {
  const half = height / 2;
  return bands
    .map((b) => {
      const x1 = scale.x(Date.parse(b.start));
      const x2 = scale.x(Date.parse(b.end));
      return el(
        'rect',
        {
          class: b.kind,
          'data-pt-day': b.ptDay,
          x: x1,
          y: UPPER.has(b.kind) ? top : top + half,
          width: round1(Math.max(0.5, x2 - x1)),
          height: half,
        },
        title(b.label),
      );
    })
    .join('');
}

/** A ▼ (stop) or ▲ (reactivate) marker path centred on `cx`, its tip at `tipY` (▼) or its base there (▲). */
export function markerPath(kind: TimelineMarker['kind'], cx: number, y: number): string {
  return kind === 'stop'
    ? `M${round1(cx - 5)} ${y - 8} L${round1(cx + 5)} ${y - 8} L${cx} ${y} Z`
    : `M${round1(cx - 5)} ${y} L${round1(cx + 5)} ${y} L${cx} ${y - 8} Z`;
}

/** Draws markers just above `barTop`. */
export function drawMarkers(scale: TimeScale, markers: readonly TimelineMarker[], barTop: number): string {
  return markers
    .map((m) =>
      el(
        'path',
        { class: m.kind, d: markerPath(m.kind, scale.x(Date.parse(m.at)), barTop - 1) },
        title(m.label),
      ),
    )
    .join('');
}

/** The "now" line from `top` to `bottom`, with its label below it; nothing when `now` is outside the scale. */
export function drawNow(scale: TimeScale, now: Date, top: number, bottom: number, label = 'now'): string {
  const ms = now.getTime();
  if (ms < scale.from || ms >= scale.to) return '';
  const x = scale.x(ms);
  const right = x > scale.left + scale.width - 40;
  return el(
    'g',
    { class: 'now', 'data-at': now.toISOString() },
    el('line', { class: 'now-line', x1: x, x2: x, y1: top, y2: bottom }) +
      el(
        'text',
        {
          class: 'now-label',
          x: right ? x - 3 : x + 3,
          y: bottom + 11,
          'text-anchor': right ? 'end' : 'start',
        },
        escapeXml(label),
      ),
  );
}

/** One legend entry: what it shows and how its swatch is drawn. */
export interface LegendItem {
  swatch:
    'business' | 'holiday' | 'saved' | 'charged' | 'unprofitable' | 'stop' | 'reactivate' | 'pt' | 'now';
  text: string;
}

/** The complete legend of a rule timeline. */
export const TIMELINE_LEGEND: readonly LegendItem[] = [
  { swatch: 'business', text: 'business hours (schedule active, local zone)' },
  { swatch: 'holiday', text: 'holiday (whole local day)' },
  { swatch: 'saved', text: 'Pacific day saved (stopped all day)' },
  { swatch: 'charged', text: 'stopped but still charged (Pacific day paid)' },
  { swatch: 'unprofitable', text: 'off-hours, kept active: no whole Pacific day' },
  { swatch: 'stop', text: 'planned stop (or switch to the off-hours config)' },
  { swatch: 'reactivate', text: 'planned reactivation (or switch back)' },
  { swatch: 'pt', text: 'Pacific midnight (FortiFlex billing day starts)' },
  { swatch: 'now', text: 'now' },
];

/** A legend swatch drawn in a 14×12 box at (x, y). */
export function legendSwatch(swatch: LegendItem['swatch'], x: number, y: number): string {
  switch (swatch) {
    case 'stop':
    case 'reactivate':
      return el('path', { class: swatch, d: markerPath(swatch, x + 7, swatch === 'stop' ? y + 11 : y + 11) });
    case 'pt':
      return el('line', { class: 'legend-pt', x1: x + 7, x2: x + 7, y1: y - 1, y2: y + 13 });
    case 'now':
      return el('line', { class: 'now-line', x1: x + 7, x2: x + 7, y1: y - 1, y2: y + 13 });
    default:
      return el('rect', { class: swatch, x, y, width: 14, height: 12 });
  }
}

/**
 * Draws `items` as a legend from (left, top), `perRow` entries per line `columnWidth` apart; returns the
 * markup and its height.
 */
export function drawLegend(
  items: readonly LegendItem[],
  left: number,
  top: number,
  columnWidth: number,
  perRow: number,
): { markup: string; height: number } {
  const parts = items.map((item, i) => {
    const x = left + (i % perRow) * columnWidth;
    const y = top + Math.floor(i / perRow) * 20;
    return (
      legendSwatch(item.swatch, x, y) +
      el('text', { class: 'legend', x: x + 20, y: y + 10 }, escapeXml(item.text))
    );
  });
  return {
    markup: el('g', { class: 'legend' }, parts.join('')),
    height: Math.ceil(items.length / perRow) * 20,
  };
}

/** CSS of the timeline's classes, shared by the SVG file and the dashboard (colours pass WCAG AA as text). */
export const TIMELINE_CSS =
  'text{font-family:system-ui,sans-serif;font-size:11px;fill:#1f2328}' +
  '.pt-day{font-weight:600}.hour{font-size:9px;fill:#57606a}.hour-tick{stroke:#8c959f}' +
  '.business{fill:#cfe3ff}.holiday{fill:#f5c46b}.saved{fill:#7fd18b}.charged{fill:#b7bdc4}' +
  '.unprofitable{fill:#f6c6c6}.row{fill:#f6f8fa;stroke:#d0d7de}.local-day{stroke:#afb8c1}' +
  '.pt-boundary,.legend-pt{stroke:#6e7781;stroke-dasharray:3 3}.stop{fill:#c0392b}.reactivate{fill:#1a7f37}' +
  '.now-line{stroke:#8250df;stroke-width:2}.now-label{fill:#6639ba;font-weight:700}';
