import { describe, expect, it } from 'vitest';
import { formatStatusText } from '../../../src/cli/status-text';
import { renderDashboardHtml } from '../../../src/lib/views/dashboard';
import {
  COMPACT_LAYOUT,
  renderDashboardTimeline,
  WIDE_LAYOUT,
} from '../../../src/lib/views/dashboard-timeline';
import { escapeHtml, html, trusted } from '../../../src/lib/views/html';
import { sampleReport } from '../../support/status-report';

const HOSTILE = `"'><script>alert(1)</script><img src=x onerror=alert(2)>&amp;\`</title></svg>`;

/** Start tags of the page, by name. */
function tags(page: string): string[] {
  return [...page.matchAll(/<([a-zA-Z][\w-]*)/g)].map((m) => m[1]!.toLowerCase());
}

describe('the html tag', () => {
  it('escapes interpolated text, keeps safe markup and flattens lists', () => {
    expect(escapeHtml(`<a href="x" title='y'>&\``)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&#96;',
    );
    const inner = html`<b>${'<i>'}</b>`;
    expect(
      html`<p title="${'"x"'}">${inner}${['<', trusted('<br>')]}${undefined}${false}${3}</p>`.markup,
    ).toBe('<p title="&quot;x&quot;"><b>&lt;i&gt;</b>&lt;<br>3</p>');
  });
});

describe('the dashboard page', () => {
  it('is one self-contained page: no scripts, no external resources, a CSP that forbids loading', () => {
    const page = renderDashboardHtml(sampleReport());
    expect(page.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(new Set(tags(page))).not.toContain('script');
    for (const tag of ['link', 'img', 'iframe', 'object', 'embed', 'base'])
      expect(tags(page)).not.toContain(tag);
    // The only URL is the SVG namespace name, which is never fetched.
    expect([...page.matchAll(/https?:\/\/[^\s"'<>]+/g)].map((m) => m[0])).toEqual(
      Array(2).fill('http://www.w3.org/2000/svg'),
    );
    expect(page).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;;/);
    expect(page).not.toMatch(/\son\w+=/i);
  });

  it('escapes every caller- and FortiFlex-supplied string (rule, pool, schedule names, descriptions, errors)', () => {
    const report = sampleReport({ text: HOSTILE, vms: true });
    const page = renderDashboardHtml(report);
    expect(tags(page)).not.toContain('script');
    expect(tags(page)).not.toContain('img');
    expect(page).not.toContain(HOSTILE);
    expect(page).not.toContain('</title></svg>');
    // The strings are there, escaped: in HTML text, in attributes and in the SVG.
    expect(page).toContain(`branches${escapeHtml(HOSTILE)}`);
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toMatch(/data-rule="branches&quot;&#39;&gt;&lt;script&gt;/);
    expect(page).toMatch(/data-rule="branches&quot;&apos;&gt;&lt;script&gt;/);
    // Every element that opens is one the page itself writes.
    const allowed = new Set(
      'html head meta title style body header h1 h2 h3 h4 p time span main section div svg g text line rect path ul li details summary table thead tbody tr th td strong br footer'.split(
        ' ',
      ),
    );
    expect(tags(page).filter((t) => !allowed.has(t) && t !== '!doctype')).toEqual([]);
  });

  it('never shows a token', () => {
    const page = renderDashboardHtml(sampleReport({ entitlements: 60 }));
    expect(page).not.toContain('SECRETTOKEN');
  });

  it('shows pools with size, bounds, claims, in use and pending deliveries, errors and last actions', () => {
    const report = sampleReport();
    const page = renderDashboardHtml(report);
    const row = page.slice(
      page.indexOf('<tr data-pool="vmss">'),
      page.indexOf('</tr>', page.indexOf('<tr data-pool="vmss">')),
    );
    expect(
      row
        .replace(/<[^>]+>|\s+/g, ' ')
        .replace(/\s+/g, ' ')
        .trim(),
    ).toBe('vmss 3 0–4 2 1 3 1 ok');
    expect(page).toContain('token sent');
    expect(page).toContain('stop refused');
    expect(page).toContain('account 2 program X: unavailable');
    expect(page).toContain('260 points');
    expect(page).toContain(`${report.forecast.pointsSaved} points`);
    expect(page).toContain('reactivate on Monday at 09:00 instead of 07:00');
  });

  it('shows VM power states only when VMs are paired', () => {
    const without = renderDashboardHtml(sampleReport());
    expect(without).not.toMatch(/vm-FGVM/);
    expect(without).not.toContain('VMs: ');
    const paired = sampleReport({ vms: true });
    const page = renderDashboardHtml(paired);
    const vm = paired.rules[0]!.entitlements.find((e) => e.vm?.powerState === 'running')!.vm!;
    expect(page).toMatch(new RegExp(`${vm.name}\\s*<span class="chip vm-running">\\s*running`));
    expect(page).toMatch(/VMs: \d+ running/);
  });

  it('draws the now line where the instant lies, in both layouts', () => {
    const report = sampleReport();
    const from = Date.parse(report.timeline.from);
    const to = Date.parse(report.timeline.to);
    for (const layout of [WIDE_LAYOUT, COMPACT_LAYOUT]) {
      const svg = renderDashboardTimeline(report, layout);
      const x = Number(/<g class="now"[^>]*><line class="now-line" x1="([\d.]+)"/.exec(svg)![1]);
      expect(x).toBeCloseTo(
        layout.plotLeft + ((Date.parse(report.at) - from) / (to - from)) * layout.plotWidth,
        0,
      );
    }
    // A report whose instant lies outside its timeline draws no now line.
    const outside = { ...report, at: report.timeline.to };
    expect(renderDashboardTimeline(outside)).not.toContain('class="now"');
  });
});

describe('the status text', () => {
  it('prints rules, pools, savings this month, the forecast and errors, escaping nothing it need not', () => {
    const text = formatStatusText(sampleReport({ vms: true }));
    expect(text).toMatch(/^Status at Fri 10-23 11:00 PT \(2026-10-23 18:00 UTC\), mode enforce\n/);
    expect(text).toMatch(
      /rule branches \(schedule office, Europe\/Berlin\): off-hours now; next: active Mon 10-26 07:00/,
    );
    expect(text).toMatch(
      /pool vmss: size 3 \(min 0, max 4\), 2 claimed, 1 in use outside claims, 3 active, 1 pending deliveries/,
    );
    expect(text).toContain(
      'delivery FGVMPOOL00000006 to vmss_2: token sent since Fri 10-23 10:40 PT, 2 attempt(s)',
    );
    expect(text).toContain(
      'Saved this month (since Thu 10-01 00:00 PT, from the audit): 40 Pacific day(s), 260 points, 42 action(s)',
    );
    expect(text).toMatch(
      /Forecast Fri 10-23 11:00 PT – Sun 11-22 10:00 PT: \d+ entitlement-day\(s\), [\d.]+ points/,
    );
    expect(text).toContain('error: list: account 2 program X: unavailable');
    expect(text).not.toContain('SECRETTOKEN');
  });
});
