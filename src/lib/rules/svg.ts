/**
 * A forecast's timeline as SVG, over the forecast's own range: a range of up to seven Pacific days is one
 * panel exactly that long (a one-day forecast draws one day); a longer one draws one panel per week, every
 * week, the last one as long as what remains (days line up across panels). Each panel has the Pacific days
 * with an hour scale (PT) and one row per rule: business hours and holidays in the rule's zone (local day
 * names along the row), the Pacific days saved, stopped-but-still-charged stretches, off-hours kept active,
 * ▼ stop and ▲ reactivation markers, and per row the zone and the points saved in that panel. A complete
 * legend closes the picture; an optional "now" line marks the present.
 * Plain string building (`svg-draw.ts`); every text and attribute value is escaped, so the output is
 * well-formed XML whatever the rule names hold.
 */
import { DateTime } from 'luxon';
import { BILLING_ZONE } from './billing';
import type { Forecast } from './forecast';
import {
  drawAxis,
  drawBands,
  drawLegend,
  drawMarkers,
  drawNow,
  el,
  escapeXml,
  round1,
  TIMELINE_CSS,
  TIMELINE_LEGEND,
  timeScale,
  title,
} from './svg-draw';
import { ruleTimeline } from './timeline';

const LABEL_WIDTH = 240;
const PLOT_WIDTH = 980;
const HEADING_HEIGHT = 28;
const PANEL_HEADER = 46;
const ROW_HEIGHT = 64;
const PANEL_GAP = 22;
const LEGEND_COLUMN = 330;

/** Options of {@link renderTimelineSvg}. */
export interface TimelineOptions {
  /** Draw only this rule. */
  rule?: string;
  /** Draw a "now" line at this instant (when it lies in the range). */
  now?: Date;
}

/** The panels of a range: whole Pacific weeks (wall clock, so a DST week still ends on a PT midnight). */
function panelsOf(from: number, to: number): { from: number; to: number; days: number }[] {
  const panels: { from: number; to: number; days: number }[] = [];
  let start = DateTime.fromMillis(from, { zone: BILLING_ZONE });
  while (start.toMillis() < to) {
    const end = start.plus({ days: 7 });
    const panelTo = Math.min(end.toMillis(), to);
    panels.push({ from: start.toMillis(), to: panelTo, days: (panelTo - start.toMillis()) / 86_400_000 });
    start = end;
  }
  return panels;
}

function localDayNames(
  zone: string,
  scale: ReturnType<typeof timeScale>,
  barTop: number,
  height: number,
): string {
  const parts: string[] = [];
  let local = DateTime.fromMillis(scale.from, { zone }).startOf('day');
  for (let guard = 0; guard < 9 && local.toMillis() < scale.to; guard++) {
    const start = local.toMillis();
    const next = local.plus({ days: 1 });
    if (start >= scale.from) {
      parts.push(
        el('line', {
          class: 'local-day',
          x1: scale.x(start),
          x2: scale.x(start),
          y1: barTop,
          y2: barTop + height,
        }),
      );
    }
    const visible = scale.x(next.toMillis()) - scale.x(start);
    if (visible >= 30) {
      parts.push(
        el(
          'text',
          {
            class: 'local-day-name',
            x: round1((scale.x(start) + scale.x(next.toMillis())) / 2),
            y: barTop + 12,
            'text-anchor': 'middle',
          },
          escapeXml(local.toFormat('ccc')),
        ),
      );
    }
    local = next;
  }
  return parts.join('');
}

/**
 * Renders `forecast` over its own range as an SVG document. Elements carry classes (`business`, `holiday`,
 * `saved`, `charged`, `unprofitable`, `pt-boundary`, `stop`, `reactivate`, `now`), panels `data-from` and
 * `data-to`, and saved days a `data-pt-day` attribute, so the picture can be styled and checked.
 */
export function renderTimelineSvg(forecast: Forecast, options: TimelineOptions = {}): string {
  const from = Date.parse(forecast.from);
  const to = Date.parse(forecast.to);
  const rules = forecast.rules.filter((r) => options.rule === undefined || r.rule === options.rule);
  const panels = panelsOf(from, to);
  const width = LABEL_WIDTH + PLOT_WIDTH + 20;
  const rangeLabel = `${DateTime.fromMillis(from, { zone: BILLING_ZONE }).toFormat('yyyy-MM-dd HH:mm')} – ${DateTime.fromMillis(to, { zone: BILLING_ZONE }).toFormat('yyyy-MM-dd HH:mm')} ${BILLING_ZONE}`;
  const parts: string[] = [];
  let y = HEADING_HEIGHT;
  for (const panel of panels) {
    // A short range fills the width; weeks share one scale so days line up, the last week as long as it is.
    const panelWidth = panels.length === 1 ? PLOT_WIDTH : round1((PLOT_WIDTH * panel.days) / 7);
    const scale = timeScale(panel.from, panel.to, LABEL_WIDTH, panelWidth);
    const rowsTop = y + PANEL_HEADER;
    const bottom = rowsTop + rules.length * ROW_HEIGHT;
    const body: string[] = [
      drawAxis(scale, { labelY: y + 14, hourY: y + 32, lineTop: y + 18, lineBottom: bottom }),
    ];
    rules.forEach((rule, index) => {
      const top = rowsTop + index * ROW_HEIGHT;
      const barTop = top + 22;
      const barHeight = ROW_HEIGHT - 30;
      const timeline = ruleTimeline(rule, new Date(panel.from), new Date(panel.to));
      body.push(
        el(
          'g',
          { class: 'rule', 'data-rule': rule.rule },
          [
            el('text', { class: 'rule-name', x: 8, y: top + 30 }, escapeXml(rule.rule)),
            el('text', { class: 'zone', x: 8, y: top + 44 }, escapeXml(rule.timezone)),
            el(
              'text',
              { class: 'points', x: 8, y: top + 58 },
              escapeXml(
                `${timeline.ptDaysSaved} PT day${timeline.ptDaysSaved === 1 ? '' : 's'} saved, ${timeline.pointsSaved} points`,
              ),
            ),
            el('rect', { class: 'row', x: LABEL_WIDTH, y: barTop, width: panelWidth, height: barHeight }),
            drawBands(scale, timeline.bands, barTop, barHeight),
            drawMarkers(scale, timeline.markers, barTop),
            localDayNames(rule.timezone, scale, barTop, barHeight),
          ].join(''),
        ),
      );
    });
    if (options.now) body.push(drawNow(scale, options.now, y + 18, bottom));
    parts.push(
      el(
        'g',
        {
          class: 'panel',
          'data-from': new Date(panel.from).toISOString(),
          'data-to': new Date(panel.to).toISOString(),
        },
        body.join(''),
      ),
    );
    y = bottom + PANEL_GAP;
  }
  const legendItems = TIMELINE_LEGEND.filter((item) => item.swatch !== 'now' || options.now !== undefined);
  const legend = drawLegend(legendItems, LABEL_WIDTH, y + 4, LEGEND_COLUMN, 3);
  parts.push(legend.markup);
  y += legend.height + 8;
  parts.push(
    el(
      'text',
      { class: 'footnote', x: LABEL_WIDTH, y: y + 10 },
      escapeXml(
        'Hours on the scale are Pacific time (FortiFlex bills per Pacific day); day names along each row are in the rule’s zone.',
      ),
    ),
  );
  const height = y + 24;
  const heading = `FortiFlex timeline ${rangeLabel}`;
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img">` +
    title(heading) +
    el('style', {}, escapeXml(TIMELINE_CSS)) +
    el('rect', { x: 0, y: 0, width, height, fill: '#ffffff' }) +
    el('text', { x: 8, y: 18, class: 'heading' }, escapeXml(`Range ${rangeLabel}`)) +
    parts.join('') +
    '</svg>\n'
  );
}
