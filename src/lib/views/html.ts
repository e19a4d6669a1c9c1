/**
 * Safe HTML by construction: the `html` template tag escapes every interpolated value unless it is already
 * {@link SafeHtml} (built by `html` itself, or trusted markup from the SVG builders wrapped with
 * {@link trusted}). So a description or rule name from FortiFlex or the policy can never open a tag, close an
 * attribute or start a script, whatever it holds.
 */

/** Markup that is safe to insert as is. */
export class SafeHtml {
  constructor(readonly markup: string) {}
  toString(): string {
    return this.markup;
  }
}

/** What may be interpolated into {@link html}: text (escaped), numbers, safe markup, lists of these. */
export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Escapes text for HTML content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => ESCAPES[c]!);
}

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.markup;
  if (Array.isArray(value)) return (value as readonly HtmlValue[]).map(render).join('');
  return escapeHtml(String(value as string | number | boolean));
}

/** Template tag: literal parts are kept, interpolated values escaped (see the module comment). */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0]!;
  values.forEach((value, i) => {
    out += render(value) + strings[i + 1]!;
  });
  return new SafeHtml(out);
}

/** Wraps markup produced by a builder that escapes its own text (the SVG `el` helpers). */
export function trusted(markup: string): SafeHtml {
  return new SafeHtml(markup);
}
