import { describe, expect, it } from 'vitest';
import {
  escapeXml,
  forecast,
  ptDayStart,
  renderTimelineSvg,
  savedDaysInWeek,
  type Forecast,
} from '../../../src/lib/rules';
import { ent, policyOf } from './planner-helpers';

/** A parsed XML element. */
interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const ENTITY = /^&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/;
const NAME = /^[A-Za-z_][\w.:-]*/;

function decode(text: string, where: number): string {
  for (let i = text.indexOf('&'); i >= 0; i = text.indexOf('&', i + 1)) {
    if (!ENTITY.test(text.slice(i))) throw new Error(`bad entity at ${where + i}`);
  }
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

/**
 * A minimal XML well-formedness parser: one root element, matching tags, quoted unique attributes, no bare
 * `<` or `&` in text or attributes. Throws on the first violation.
 */
function parseXml(source: string): XmlElement {
  let i = 0;
  const skipSpace = () => {
    while (i < source.length && /\s/.test(source[i]!)) i++;
  };
  if (source.startsWith('<?xml')) {
    const end = source.indexOf('?>');
    if (end < 0) throw new Error('unterminated XML declaration');
    i = end + 2;
  }
  skipSpace();
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (i < source.length) {
    if (source[i] === '<') {
      if (source.startsWith('</', i)) {
        const m = NAME.exec(source.slice(i + 2));
        if (!m) throw new Error(`bad closing tag at ${i}`);
        const open = stack.pop();
        if (!open || open.name !== m[0]) throw new Error(`mismatched </${m[0]}> at ${i}`);
        i += 2 + m[0].length;
        skipSpace();
        if (source[i] !== '>') throw new Error(`expected > at ${i}`);
        i++;
        if (stack.length === 0) root = open;
        continue;
      }
      const m = NAME.exec(source.slice(i + 1));
      if (!m) throw new Error(`bad tag at ${i}`);
      if (root !== undefined) throw new Error('two roots');
      const element: XmlElement = { name: m[0], attrs: {}, children: [], text: '' };
      i += 1 + m[0].length;
      for (;;) {
        skipSpace();
        if (source.startsWith('/>', i)) {
          i += 2;
          if (stack.length === 0) root = element;
          else stack[stack.length - 1]!.children.push(element);
          break;
        }
        if (source[i] === '>') {
          i++;
          if (stack.length > 0) stack[stack.length - 1]!.children.push(element);
          stack.push(element);
          break;
        }
        const a = NAME.exec(source.slice(i));
        if (!a) throw new Error(`bad attribute at ${i}`);
        i += a[0].length;
        if (source[i] !== '=') throw new Error(`expected = at ${i}`);
        const quote = source[i + 1];
        if (quote !== '"' && quote !== "'") throw new Error(`unquoted attribute at ${i}`);
        const end = source.indexOf(quote, i + 2);
        const raw = source.slice(i + 2, end);
        if (end < 0 || raw.includes('<')) throw new Error(`bad attribute value at ${i}`);
        if (a[0] in element.attrs) throw new Error(`duplicate attribute ${a[0]}`);
        element.attrs[a[0]] = decode(raw, i + 2);
        i = end + 1;
      }
      continue;
    }
    const next = source.indexOf('<', i);
    const text = source.slice(i, next < 0 ? source.length : next);
    if (stack.length === 0) {
      if (text.trim() !== '') throw new Error(`text outside the root at ${i}`);
    } else {
      stack[stack.length - 1]!.text += decode(text, i);
    }
    i = next < 0 ? source.length : next;
  }
  if (stack.length > 0 || root === undefined) throw new Error('unclosed elements or no root');
  return root;
}

function all(element: XmlElement, predicate: (e: XmlElement) => boolean): XmlElement[] {
  return [...(predicate(element) ? [element] : []), ...element.children.flatMap((c) => all(c, predicate))];
}

describe('the minimal XML checker', () => {
  it('rejects what is not well-formed', () => {
    expect(() => parseXml('<a><b></a></b>')).toThrow(/mismatched/);
    expect(() => parseXml('<a x=1/>')).toThrow(/unquoted/);
    expect(() => parseXml('<a>fish & chips</a>')).toThrow(/bad entity/);
    expect(() => parseXml('<a>')).toThrow(/unclosed/);
    expect(parseXml('<a x="&lt;&amp;"><b/>t&gt;</a>')).toEqual({
      name: 'a',
      attrs: { x: '<&' },
      children: [{ name: 'b', attrs: {}, children: [], text: '' }],
      text: 't>',
    });
  });
});

describe('renderTimelineSvg', () => {
  const policy = policyOf(
    [
      { name: 'branch', schedule: 'office9' },
      { name: 'us-east', schedule: 'east', select: { configIds: [20] } },
    ],
    {
      office9: { timezone: 'Europe/Berlin', active: ['Mon-Fri 09:00-17:00'] },
      east: { timezone: 'America/New_York', active: ['Mon-Fri 07:30-20:30'] },
    },
  );
  const result = forecast({
    policy,
    entitlements: [ent('A'), ent('B', 'ACTIVE', 20)],
    from: ptDayStart('2026-05-04'),
    to: ptDayStart('2026-05-11'),
  });

  it('is well-formed SVG with one row per rule, labelled with zone and points saved', () => {
    const svg = parseXml(renderTimelineSvg(result));
    expect(svg.name).toBe('svg');
    expect(svg.attrs['xmlns']).toBe('http://www.w3.org/2000/svg');
    const rows = all(svg, (e) => e.name === 'g' && e.attrs['class'] === 'rule');
    expect(rows.map((r) => r.attrs['data-rule'])).toEqual(['branch', 'us-east']);
    const label = (row: XmlElement, cls: string) => row.children.find((c) => c.attrs['class'] === cls)?.text;
    expect(rows.map((r) => [label(r, 'rule-name'), label(r, 'zone'), label(r, 'points')])).toEqual([
      ['branch', 'Europe/Berlin', '2 PT days saved, 10 points'],
      ['us-east', 'America/New_York', '2 PT days saved, 14 points'],
    ]);
    const ptLabels = all(svg, (e) => e.attrs['class'] === 'pt-day').map((e) => e.text);
    expect(ptLabels).toEqual([
      'Mon 05-04 PT',
      'Tue 05-05 PT',
      'Wed 05-06 PT',
      'Thu 05-07 PT',
      'Fri 05-08 PT',
      'Sat 05-09 PT',
      'Sun 05-10 PT',
    ]);
    // Day names along each row in its own zone.
    expect(
      rows[0]!.children.filter((c) => c.attrs['class'] === 'local-day-name').map((c) => c.text),
    ).toContain('Sat');
  });

  it('shades exactly the saved Pacific days of the forecast, and shades business hours', () => {
    const svg = parseXml(renderTimelineSvg(result));
    for (const rule of result.rules) {
      const row = all(svg, (e) => e.name === 'g' && e.attrs['data-rule'] === rule.rule)[0]!;
      const shaded = row.children
        .filter((c) => c.attrs['class'] === 'saved')
        .map((c) => c.attrs['data-pt-day']);
      expect(shaded).toEqual(rule.windows.flatMap((w) => w.ptDays));
      expect(shaded).toEqual(savedDaysInWeek(rule, new Date(result.from), new Date(result.to)));
      expect(row.children.filter((c) => c.attrs['class'] === 'business')).toHaveLength(5);
      expect(row.children.filter((c) => c.attrs['class'] === 'stop').length).toBeGreaterThan(0);
    }
    // Seven PT midnights inside the week, the first at its left edge.
    expect(all(svg, (e) => e.attrs['class'] === 'pt-boundary')).toHaveLength(7);
  });

  it('draws seven Pacific days in a week whose Sunday is 23 hours long', () => {
    const march = forecast({
      policy,
      entitlements: [ent('A')],
      from: ptDayStart('2026-03-02'),
      to: ptDayStart('2026-03-09'),
    });
    const svg = parseXml(renderTimelineSvg(march));
    expect(all(svg, (e) => e.attrs['class'] === 'pt-day').map((e) => e.text)).toEqual([
      'Mon 03-02 PT',
      'Tue 03-03 PT',
      'Wed 03-04 PT',
      'Thu 03-05 PT',
      'Fri 03-06 PT',
      'Sat 03-07 PT',
      'Sun 03-08 PT',
    ]);
    const branch = all(svg, (e) => e.attrs['data-rule'] === 'branch')[0]!;
    expect(
      branch.children.filter((c) => c.attrs['class'] === 'saved').map((c) => c.attrs['data-pt-day']),
    ).toEqual(['2026-03-07', '2026-03-08']);
  });

  it('escapes text and can draw one rule', () => {
    const tricky: Forecast = {
      ...result,
      rules: [{ ...result.rules[0]!, rule: 'R&D <lab> "east"' }],
    };
    const text = renderTimelineSvg(tricky, { rule: 'R&D <lab> "east"' });
    const svg = parseXml(text);
    expect(all(svg, (e) => e.attrs['class'] === 'rule-name')[0]!.text).toBe('R&D <lab> "east"');
    expect(text).toContain('R&amp;D &lt;lab&gt; &quot;east&quot;');
    expect(escapeXml(`<'&">`)).toBe('&lt;&apos;&amp;&quot;&gt;');
  });
});

describe('renderTimelineSvg: legend, hour scale, range and now', () => {
  const policy = policyOf([{ name: 'branch', schedule: 'office9' }], {
    office9: {
      timezone: 'Europe/Berlin',
      active: ['Mon-Fri 09:00-17:00'],
      holidays: { dates: ['2026-05-14'] },
    },
  });
  const range = (from: string, to: string) =>
    forecast({ policy, entitlements: [ent('A')], from: ptDayStart(from), to: ptDayStart(to) });

  it('has a complete legend: business hours, holidays, saved, stopped but still charged, kept active, markers', () => {
    const svg = parseXml(renderTimelineSvg(range('2026-05-04', '2026-05-11')));
    const legend = all(svg, (e) => e.name === 'g' && e.attrs['class'] === 'legend')[0]!;
    const swatches = legend.children.filter((c) => c.name !== 'text').map((c) => c.attrs['class']);
    expect(swatches).toEqual([
      'business',
      'holiday',
      'saved',
      'charged',
      'unprofitable',
      'stop',
      'reactivate',
      'legend-pt',
    ]);
    const texts = legend.children.filter((c) => c.name === 'text').map((c) => c.text);
    expect(texts).toContain('stopped but still charged (Pacific day paid)');
    expect(texts).toContain('holiday (whole local day)');
    expect(texts.some((t) => t.startsWith('planned stop'))).toBe(true);
    expect(texts.some((t) => t.startsWith('planned reactivation'))).toBe(true);
  });

  it('draws the stopped-but-charged stretch grey and the holiday of the schedule', () => {
    const result = range('2026-05-11', '2026-05-18');
    const svg = parseXml(renderTimelineSvg(result));
    const row = all(svg, (e) => e.name === 'g' && e.attrs['data-rule'] === 'branch')[0]!;
    const titles = (cls: string) =>
      row.children.filter((c) => c.attrs['class'] === cls).map((c) => c.children[0]?.text ?? '');
    // Thursday 05-14 is a holiday in Berlin: its whole local day.
    expect(titles('holiday')).toEqual(['holiday 2026-05-14 (Europe/Berlin)']);
    // Each weeknight stop is charged (no whole Pacific day); Friday's stop is charged until Saturday 00:00 PT.
    expect(titles('charged')).toContain(
      'stopped Fri 2026-05-15 17:00 – Sat 2026-05-16 09:00 Europe/Berlin, Pacific day still charged',
    );
    // The holiday makes Wednesday evening to Friday morning one window: Thursday PT is saved too.
    expect(titles('saved')).toEqual(['2026-05-14 PT saved', '2026-05-16 PT saved', '2026-05-17 PT saved']);
  });

  it('has an hour scale in Pacific time', () => {
    const svg = parseXml(renderTimelineSvg(range('2026-05-04', '2026-05-11')));
    const hours = all(svg, (e) => e.attrs['class'] === 'hour').map((e) => e.text);
    expect(hours).toEqual(Array(7).fill(['06', '12', '18']).flat());
  });

  it('draws a one-day forecast as one day, with every hour', () => {
    const svg = parseXml(renderTimelineSvg(range('2026-05-06', '2026-05-07')));
    expect(all(svg, (e) => e.attrs['class'] === 'panel')).toHaveLength(1);
    expect(all(svg, (e) => e.attrs['class'] === 'pt-day').map((e) => e.text)).toEqual(['Wed 05-06 PT']);
    expect(all(svg, (e) => e.attrs['class'] === 'hour')).toHaveLength(23);
    const panel = all(svg, (e) => e.attrs['class'] === 'panel')[0]!;
    const business = all(panel, (e) => e.attrs['class'] === 'business');
    // Wednesday 09:00-17:00 Berlin = 00:00-08:00 PT: the first third of the day.
    expect(business.map((b) => [Number(b.attrs['x']), Number(b.attrs['width'])])).toEqual([[240, 326.7]]);
  });

  it('draws a multi-week forecast as every week, days lined up, the last week as long as what remains', () => {
    const result = range('2026-05-04', '2026-05-27');
    const svg = parseXml(renderTimelineSvg(result));
    const panels = all(svg, (e) => e.attrs['class'] === 'panel');
    expect(panels.map((p) => p.attrs['data-from'])).toEqual([
      ptDayStart('2026-05-04').toISOString(),
      ptDayStart('2026-05-11').toISOString(),
      ptDayStart('2026-05-18').toISOString(),
      ptDayStart('2026-05-25').toISOString(),
    ]);
    expect(panels.at(-1)!.attrs['data-to']).toBe(ptDayStart('2026-05-27').toISOString());
    const rows = panels.map((p) => all(p, (e) => e.attrs['class'] === 'row')[0]!);
    expect(rows.map((r) => Number(r.attrs['width']))).toEqual([980, 980, 980, 280]);
    // Every saved day of the range is drawn once.
    const saved = panels.flatMap((p) =>
      all(p, (e) => e.attrs['class'] === 'saved').map((e) => e.attrs['data-pt-day']),
    );
    expect(saved).toEqual(result.rules[0]!.windows.flatMap((w) => w.ptDays));
  });

  it('draws the now line at the instant, only in the panel holding it', () => {
    const result = range('2026-05-04', '2026-05-18');
    const now = new Date('2026-05-13T15:00:00Z');
    const svg = parseXml(renderTimelineSvg(result, { now }));
    const lines = all(
      svg,
      (e) => e.attrs['class'] === 'now-line' && e.attrs['y1'] !== undefined && e.name === 'line',
    );
    const inPanels = all(svg, (e) => e.attrs['class'] === 'panel').map(
      (p) => all(p, (e) => e.attrs['class'] === 'now').length,
    );
    expect(inPanels).toEqual([0, 1]);
    const from = ptDayStart('2026-05-11').getTime();
    const to = ptDayStart('2026-05-18').getTime();
    const expected = 240 + ((now.getTime() - from) / (to - from)) * 980;
    expect(Number(lines[0]!.attrs['x1'])).toBeCloseTo(expected, 0);
  });
});
