/**
 * The status dashboard: one self-contained HTML page rendered from the status view model (`GET
 * /api/status?format=html`, `fortiflex-scaler status --format html`). No scripts, fonts, images or links to
 * fetch: inline CSS and inline SVG only, and a Content-Security-Policy that forbids loading anything, so the
 * page works offline, from a file, and inside locked-down portals. Readable on a laptop and on a phone (the
 * timeline and wide tables scroll sideways on narrow screens; everything else reflows). Accessible: landmarks,
 * one heading outline, table headers, labelled scroll regions, text colours that pass WCAG AA. Every string
 * from the policy or FortiFlex is escaped (`html.ts`, `svg-draw.ts`). Pure: the same report gives the same
 * page.
 */
import { legendSwatch, TIMELINE_CSS, TIMELINE_LEGEND, type LegendItem } from '../rules';
import { html, trusted, type SafeHtml } from './html';
import { plural, ptTime, utcTime } from './format';
import { COMPACT_LAYOUT, renderDashboardTimeline, WIDE_LAYOUT } from './dashboard-timeline';
import {
  chip,
  errorEvents,
  eventsTable,
  LAST_ACTIONS_SHOWN,
  lastActionEvents,
  poolDetails,
  poolsTable,
  ruleDetails,
  scroller,
} from './dashboard-tables';
import type { StatusReport } from './status-model';

/**
 * The Content-Security-Policy of the page: nothing may be loaded, no script may run. The page carries it in a
 * `<meta>` element (so a saved file keeps it); the HTTP answer adds `frame-ancestors`, which only a header can.
 */
export const DASHBOARD_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

const PAGE_CSS = `
:root{color-scheme:light;--fg:#1f2328;--muted:#57606a;--line:#d0d7de;--panel:#f6f8fa;--accent:#0969da;--bad:#cf222e}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:#fff}
header{padding:14px 20px;border-bottom:1px solid var(--line);background:var(--panel)}
header h1{font-size:20px;margin:0 0 2px}
header p{margin:0;color:var(--muted)}
main{max-width:1200px;margin:0 auto;padding:8px 20px 32px}
footer{max-width:1200px;margin:0 auto;padding:0 20px 24px;color:var(--muted);font-size:12px}
h2{font-size:17px;margin:26px 0 8px;padding-bottom:4px;border-bottom:1px solid var(--line)}
h3{font-size:15px;margin:16px 0 6px}
h4{font-size:13px;margin:12px 0 4px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(190px,1fr));gap:10px;margin-top:14px}
.card{border:1px solid var(--line);border-radius:8px;padding:10px 12px}
.card h2{font-size:13px;font-weight:600;color:var(--muted);margin:0;padding:0;border:0}
.card .big{font-size:24px;font-weight:650;margin:2px 0}
.card p{margin:0}
.card.bad{border-color:var(--bad)}
.muted{color:var(--muted)}
.err{color:var(--bad)}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;background:#9a6700;color:#fff;font-weight:600;font-size:12px}
.scroll{overflow-x:auto;border:1px solid var(--line);border-radius:8px;margin:6px 0}
.scroll:focus-visible{outline:2px solid var(--accent);outline-offset:2px}
svg.timeline{display:block;width:100%;height:auto}
svg.timeline text{paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}
svg.timeline-wide{min-width:900px}
.timeline-compact-box{display:none;border:1px solid var(--line);border-radius:8px;margin:6px 0}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
thead th{background:var(--panel);font-weight:600;white-space:nowrap}
tbody th{font-weight:600}
tr:last-child>td,tr:last-child>th{border-bottom:0}
tr.pending>td{background:#fff8c5}
.num{text-align:right;font-variant-numeric:tabular-nums}
td.when{white-space:nowrap}
.chip{display:inline-block;padding:0 7px;border-radius:9px;color:#fff;font-size:12px;font-weight:600;white-space:nowrap}
ul.legend{display:flex;flex-wrap:wrap;gap:4px 18px;list-style:none;padding:0;margin:8px 0 0;font-size:12.5px}
ul.legend li{display:flex;flex-wrap:wrap;align-items:center;gap:4px 6px}
ul.legend svg{flex:none}
details{border:1px solid var(--line);border-radius:8px;margin:8px 0;padding:0 12px}
summary{cursor:pointer;padding:9px 0;font-weight:600}
details[open]>summary{border-bottom:1px solid var(--line);margin-bottom:8px}
.st-active,.vm-running,.role-held{fill:#0969da;background:#0969da}
.st-stopped,.vm-deallocated,.role-reserve{fill:#6e7781;background:#6e7781}
.st-pending,.vm-stopped,.role-releasing{fill:#9a6700;background:#9a6700}
.st-other,.vm-unknown,.role-unusable{fill:#cf222e;background:#cf222e}
.vm-changing,.role-inUseOutsideClaims{fill:#8250df;background:#8250df}
.row-name{font-size:12.5px;font-weight:700}.row-detail{font-size:10.5px;fill:#57606a}.row-alert{fill:#cf222e}
.group-heading{font-size:12px;font-weight:700;fill:#57606a;text-transform:uppercase;letter-spacing:.05em}
.bounds{fill:#e6dcfa}.bounds-scheduled{fill:#d4c2f5}.bounds-label{font-size:10px;fill:#3d2a73}
.release-due{fill:#57606a}.claim-expires{fill:#9a6700}.delivery{fill:#8250df}
@media (max-width:700px){
 header{padding:10px 12px}main{padding:4px 10px 24px}footer{padding:0 10px 16px}
 .cards{grid-template-columns:1fr 1fr}.card .big{font-size:20px}
 th,td{padding:5px 6px}
 .scroll table{min-width:780px}
 .timeline-wide-box{display:none}.timeline-compact-box{display:block}
}
`;

/** Legend entries of pool rows and of the actual-state bars, after the timeline's own. */
const POOL_LEGEND: { cls: string; shape: 'rect' | 'marker' | 'tick' | 'diamond'; text: string }[] = [
  { cls: 'bounds', shape: 'rect', text: 'pool bounds in force (min · max)' },
  { cls: 'bounds-scheduled', shape: 'rect', text: 'pool bounds of a scheduled capacity entry' },
  { cls: 'release-due', shape: 'marker', text: 'pool release due (stop before the Pacific midnight)' },
  { cls: 'claim-expires', shape: 'tick', text: 'claim expires unless renewed' },
  { cls: 'delivery', shape: 'diamond', text: 'next licence delivery attempt' },
];

function swatch(markup: string): SafeHtml {
  return trusted(
    `<svg width="16" height="14" viewBox="-1 -1 16 14" aria-hidden="true" focusable="false">${markup}</svg>`,
  );
}

function legend(): SafeHtml {
  const timeline = TIMELINE_LEGEND.map(
    (item: LegendItem) => html`<li>${swatch(legendSwatch(item.swatch, 0, 0))}${item.text}</li>`,
  );
  const pools = POOL_LEGEND.map((item) => {
    const shape =
      item.shape === 'rect'
        ? `<rect class="${item.cls}" x="0" y="0" width="14" height="12"/>`
        : item.shape === 'marker'
          ? `<path class="${item.cls}" d="M2 3 L12 3 L7 11 Z"/>`
          : item.shape === 'tick'
            ? `<rect class="${item.cls}" x="6" y="1" width="2" height="11"/>`
            : `<path class="${item.cls}" d="M7 1 L11 6 L7 11 L3 6 Z"/>`;
    return html`<li>${swatch(shape)}${item.text}</li>`;
  });
  const states = html`<li>
      entitlements now: ${chip('active', 'st-active')} ${chip('stopped', 'st-stopped')}
      ${chip('pending', 'st-pending')} ${chip('other', 'st-other')}
    </li>
    <li>
      VMs now: ${chip('running', 'vm-running')} ${chip('starting/stopping', 'vm-changing')}
      ${chip('stopped, still billed', 'vm-stopped')} ${chip('deallocated', 'vm-deallocated')}
      ${chip('unknown', 'vm-unknown')}
    </li>`;
  return html`<ul class="legend" aria-label="Legend">
    ${timeline}${pools}${states}
  </ul>`;
}

function card(heading: string, big: string, detail: SafeHtml | string, bad = false): SafeHtml {
  return html`<section class="card${bad ? ' bad' : ''}">
    <h2>${heading}</h2>
    <p class="big">${big}</p>
    <p class="muted">${detail}</p>
  </section>`;
}

function summaryCards(report: StatusReport, errorCount: number): SafeHtml {
  const entitlements = report.rules.reduce((sum, r) => sum + r.counts.selected, 0);
  const pending = report.rules.reduce((sum, r) => sum + r.counts.pending, 0);
  const poolSize = report.pools.reduce((sum, p) => sum + p.size, 0);
  const deliveries = report.pools.reduce((sum, p) => sum + p.pendingDeliveries.length, 0);
  return html`<div class="cards">
    ${card('Saved this month', `${report.thisMonth.pointsSaved} points`, `${plural(report.thisMonth.ptDaysSaved, 'Pacific day')} by ${plural(report.thisMonth.actions, 'action')} since ${ptTime(report.thisMonth.from)} (audit)`)}
    ${card('Forecast, next 30 days', `${report.forecast.pointsSaved} points`, `${plural(report.forecast.entitlementDaysSaved, 'entitlement-day')} saved`)}
    ${card('Rules', `${entitlements}`, `${plural(report.rules.length, 'rule')}, ${pending} pending change${pending === 1 ? '' : 's'}`)}
    ${card('Pools', `${poolSize}`, `${plural(report.pools.length, 'pool')}, ${plural(deliveries, 'pending delivery', 'pending deliveries')}`)}
    ${card('Errors', `${errorCount}`, errorCount === 0 ? 'none' : 'see below', errorCount > 0)}
  </div>`;
}

function forecastSection(report: StatusReport): SafeHtml {
  const f = report.forecast;
  const rows = f.rules.map(
    (r) =>
      html`<tr>
        <th scope="row">${r.rule}</th>
        <td class="num">${r.entitlements}</td>
        <td class="num">${r.ptDaysSaved}</td>
        <td class="num">${r.pointsSaved}</td>
      </tr>`,
  );
  return html`<section aria-labelledby="forecast-heading">
    <h2 id="forecast-heading">Forecast</h2>
    <p>
      From ${ptTime(f.from)} to ${ptTime(f.to)}:
      <strong>${plural(f.entitlementDaysSaved, 'entitlement-day')}</strong> and
      <strong>${f.pointsSaved} points</strong> saved, each entitlement counted once under all the rules
      selecting it.
    </p>
    ${
      rows.length === 0
        ? ''
        : scroller(
            'Forecast per rule',
            html`<table>
              <thead>
                <tr>
                  <th scope="col">Rule</th>
                  <th scope="col" class="num">Entitlements</th>
                  <th scope="col" class="num">Pacific days saved (per entitlement)</th>
                  <th scope="col" class="num">Points saved</th>
                </tr>
              </thead>
              <tbody>
                ${rows}
              </tbody>
            </table>`,
          )
    }
    ${
      f.advice.length > 0
        ? html`<h3>Advice</h3>
            <ul>
              ${f.advice.map((a) => html`<li><strong>${a.rule}</strong>: ${a.message}</li>`)}
            </ul>`
        : ''
    }
    ${
      f.notes.length > 0
        ? html`<ul class="muted">
            ${f.notes.map((n) => html`<li>${n}</li>`)}
          </ul>`
        : ''
    }
  </section>`;
}

/** Renders the dashboard page of `report`. */
export function renderDashboardHtml(report: StatusReport): string {
  const errors = errorEvents(report);
  const actions = lastActionEvents(report);
  const filter = report.filter
    ? html` · narrowed to
      ${[report.filter.rule && `rule ${report.filter.rule}`, report.filter.pool && `pool ${report.filter.pool}`].filter(Boolean).join(' and ')}`
    : '';
  const page = html`<!DOCTYPE html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta http-equiv="Content-Security-Policy" content="${DASHBOARD_CSP}" />
        <meta name="referrer" content="no-referrer" />
        <title>FortiFlex scaler status, ${ptTime(report.at)}</title>
        <style>
          ${trusted(TIMELINE_CSS + PAGE_CSS)}
        </style>
      </head>
      <body>
        <header>
          <h1>FortiFlex scaler status</h1>
          <p>
            At <time datetime="${report.at}">${ptTime(report.at)}</time> (${utcTime(report.at)}) · mode
            ${report.mode}${report.dryRun ? html` <span class="badge">dry run: nothing is changed</span>` : ''}${filter}
          </p>
        </header>
        <main>
          ${summaryCards(report, errors.length)}
          <section aria-labelledby="timeline-heading">
            <h2 id="timeline-heading">Timeline</h2>
            <p class="muted">
              ${ptTime(report.timeline.from)} to ${ptTime(report.timeline.to)}. Hours on the scale are Pacific
              time (FortiFlex bills per Pacific day); hover a band or marker for its local time.
            </p>
            <div class="timeline-wide-box">
              ${scroller('Timeline, scrolls sideways', trusted(renderDashboardTimeline(report, WIDE_LAYOUT)))}
            </div>
            <div class="timeline-compact-box">
              ${trusted(renderDashboardTimeline(report, COMPACT_LAYOUT))}
            </div>
            ${legend()}
          </section>
          <section aria-labelledby="pools-heading">
            <h2 id="pools-heading">Pools</h2>
            ${report.pools.length === 0 ? html`<p class="muted">No pools${report.filter ? ' in this view' : ' in the policy'}.</p>` : html`${poolsTable(report.pools)}${report.pools.map((p) => poolDetails(p, report.at))}`}
          </section>
          <section aria-labelledby="errors-heading">
            <h2 id="errors-heading">Errors and last actions</h2>
            <h3>Errors</h3>
            ${errors.length === 0 ? html`<p class="muted">No errors.</p>` : eventsTable('Errors', errors, report.at, 'err')}
            <h3>Last actions</h3>
            ${
              actions.length === 0
                ? html`<p class="muted">The scaler has not acted on these entitlements yet.</p>`
                : html`${eventsTable('Last actions', actions.slice(0, LAST_ACTIONS_SHOWN), report.at)}${actions.length > LAST_ACTIONS_SHOWN ? html`<p class="muted">${actions.length - LAST_ACTIONS_SHOWN} older last actions are listed with their rule or pool below.</p>` : ''}`
            }
          </section>
          <section aria-labelledby="rules-heading">
            <h2 id="rules-heading">Rules</h2>
            ${report.rules.length === 0 ? html`<p class="muted">No rules${report.filter ? ' in this view' : ' in the policy'}.</p>` : report.rules.map((r) => ruleDetails(r, report.at))}
          </section>
          ${forecastSection(report)}
          ${
            report.notes.length > 0
              ? html`<section aria-labelledby="notes-heading">
                  <h2 id="notes-heading">Notes</h2>
                  <ul>
                    ${report.notes.map((n) => html`<li>${n}</li>`)}
                  </ul>
                </section>`
              : ''
          }
        </main>
        <footer>
          Generated by fortiflex-scaler from the status of ${utcTime(report.at)}. This page loads nothing and
          runs no script.
        </footer>
      </body>
    </html> `;
  return page.markup;
}
