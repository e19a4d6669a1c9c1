/**
 * What a KQL query in infra/ reads: the tables it starts from, the telemetry events it names, the fields it
 * takes from the parsed line (`e.<field>`, the convention every query here follows), and the function
 * names it filters `requests` on. Enough to check the queries against src/lib/telemetry.ts offline.
 */

/** The references of one query. */
export interface KqlReferences {
  tables: string[];
  events: string[];
  fields: string[];
  /** Function names compared with `name` (`name == "x"`, `name in ("x", "y")`). */
  requestNames: string[];
}

/** The query without `//` comments (KQL has no block comments; strings here never contain `//`). */
export function stripKqlComments(query: string): string {
  return query
    .split('\n')
    .map((line) => line.replace(/\/\/.*$/, ''))
    .join('\n');
}

/** Extracts the references of `query`. */
export function kqlReferences(query: string): KqlReferences {
  const text = stripKqlComments(query);
  const unique = (values: string[]): string[] => [...new Set(values)].sort();
  const tables = unique(
    [...text.matchAll(/^\s*([A-Za-z_]\w*)\s*(?:\n|\||$)/gm)].map((m) => m[1]!).filter((t) => t !== 'let'),
  );
  const events = unique([...text.matchAll(/"(Scaler[A-Za-z]+)"/g)].map((m) => m[1]!));
  const fields = unique([...text.matchAll(/\be\.([A-Za-z_]\w*)/g)].map((m) => m[1]!));
  const requestNames: string[] = [];
  for (const m of text.matchAll(/\bname\s*(?:==\s*"([^"]+)"|in\s*\(([^)]*)\))/g)) {
    if (m[1]) requestNames.push(m[1]);
    if (m[2]) requestNames.push(...[...m[2].matchAll(/"([^"]+)"/g)].map((n) => n[1]!));
  }
  return { tables, events, fields, requestNames: unique(requestNames) };
}
