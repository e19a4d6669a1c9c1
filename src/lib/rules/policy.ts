/**
 * Loading the policy: text (YAML or JSON) → validated {@link Policy} with defaults applied and scopes
 * resolved, or a {@link PolicyError} listing every problem found, each as
 * `path: "value" — problem; expected …`.
 */
import { isAlias, isCollection, isMap, isScalar, isSeq, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { policySchema, type PolicySchemaOutput } from './schema';
import type { FortiFlexScope, Policy } from './types';

/** One problem in a policy: where (`schedules.office.active[1]`) and what (`"Mon-Fry …" — unknown day …`). */
export interface PolicyIssue {
  path: string;
  message: string;
}

/** An invalid policy. `message` names the source and lists every issue, one per line. */
export class PolicyError extends Error {
  /** Every problem found, in document order where possible. */
  readonly issues: PolicyIssue[];

  constructor(issues: PolicyIssue[], source = 'policy') {
    const lines = issues.map((i) => `${i.path}: ${i.message}`);
    super(
      `invalid ${source}: ${issues.length} problem${issues.length === 1 ? '' : 's'}\n${lines.join('\n')}`,
    );
    this.name = 'PolicyError';
    this.issues = issues;
  }
}

type PathPart = string | number | symbol;

function formatPath(path: readonly PathPart[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (typeof part === 'symbol') out += `[${String(part)}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out === '' ? '(policy)' : out;
}

function valueAt(root: unknown, path: readonly PathPart[]): unknown {
  let current = root;
  for (const part of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PathPart, unknown>)[part];
  }
  return current;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'missing';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `a ${typeof value}`;
}

function issueText(issue: z.core.$ZodIssue, value: unknown): string {
  switch (issue.code) {
    case 'invalid_type': {
      // Our schemas set messages starting with "expected"; zod's defaults start with "Invalid input".
      const names: Record<string, string> = {
        object: 'a mapping',
        array: 'a list',
        string: 'a string',
        number: 'a number',
        boolean: 'true or false',
      };
      const expected = issue.message.startsWith('expected')
        ? issue.message
        : `expected ${names[issue.expected] ?? issue.expected}`;
      if (value === undefined) return `required; ${expected}`;
      return `${typeName(value)} is not accepted here; ${expected}`;
    }
    case 'invalid_value':
      return issue.message.startsWith('expected')
        ? issue.message
        : `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      if (issue.message.startsWith('expected')) return issue.message;
      return issue.origin === 'array'
        ? `expected at least ${String(issue.minimum)} item(s)`
        : issue.origin === 'string'
          ? 'expected a non-empty string'
          : `expected at least ${String(issue.minimum)}`;
    case 'too_big':
      if (issue.message.startsWith('expected')) return issue.message;
      return `expected at most ${String(issue.maximum)}`;
    default:
      return issue.message;
  }
}

/** The keys the schema allows at `path` (walking zod's definitions), for "unknown key" messages. */
function allowedKeys(path: readonly PathPart[]): string[] {
  type Def = {
    type: string;
    shape?: Record<string, unknown>;
    element?: unknown;
    valueType?: unknown;
    innerType?: unknown;
    in?: unknown;
  };
  const defOf = (schema: unknown) => (schema as { _zod: { def: Def } })._zod.def;
  const unwrap = (schema: unknown): unknown => {
    let current = schema;
    for (;;) {
      const def = defOf(current);
      if (def.innerType) current = def.innerType;
      else if (def.type === 'pipe' && def.in) current = def.in;
      else return current;
    }
  };
  let schema = unwrap(policySchema);
  for (const part of path) {
    const def = defOf(schema);
    if (def.type === 'object' && def.shape && typeof part === 'string' && part in def.shape)
      schema = def.shape[part];
    else if (def.type === 'array' && typeof part === 'number') schema = def.element;
    else if (def.type === 'record' && typeof part === 'string') schema = def.valueType;
    else return [];
    schema = unwrap(schema);
  }
  const def = defOf(schema);
  return def.type === 'object' && def.shape ? Object.keys(def.shape).filter((k) => k !== '$schema') : [];
}

function expectedKeys(path: readonly PathPart[], key: string): string {
  const keys = allowedKeys(path);
  if (!keys.length) return 'expected only documented keys';
  const near = keys.find(
    (k) => k.toLowerCase() === key.toLowerCase() || k.toLowerCase().startsWith(key.toLowerCase().slice(0, 4)),
  );
  return `expected one of ${keys.join(', ')}${near ? ` (did you mean "${near}"?)` : ''}`;
}

function zodIssues(error: z.ZodError, input: unknown): PolicyIssue[] {
  const out: PolicyIssue[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const path = [...issue.path, key];
        out.push({
          path: formatPath(path),
          message: `${describeValue(valueAt(input, path))} — unknown key; ${expectedKeys(issue.path, key)}`,
        });
      }
      continue;
    }
    if (issue.code === 'invalid_key' || issue.code === 'invalid_element') {
      // Bad record key: report it on the key itself.
      const path = [...issue.path];
      const inner = issue.issues[0];
      out.push({
        path: formatPath(path),
        message: `${JSON.stringify(String(path[path.length - 1]))} — ${inner ? inner.message : issue.message}`,
      });
      continue;
    }
    const value = valueAt(input, issue.path);
    out.push({
      path: formatPath(issue.path),
      message: `${describeValue(value)} — ${issueText(issue, value)}`,
    });
  }
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Checks across fields, on the raw input so they run even when other parts are invalid: schedule names
 * referenced by rules and pools exist, rule and pool names are unique, every rule and pool has a complete
 * FortiFlex scope (own or default).
 */
function crossFieldIssues(input: unknown): PolicyIssue[] {
  if (!isRecord(input)) return [];
  const out: PolicyIssue[] = [];
  const schedules = isRecord(input['schedules']) ? Object.keys(input['schedules']) : [];
  const known = schedules.length ? schedules.map((s) => `"${s}"`).join(', ') : 'none defined';
  const defaultScope = isRecord(input['fortiflex']) ? input['fortiflex'] : {};

  const checkScheduleRef = (value: unknown, path: PathPart[]) => {
    if (typeof value === 'string' && !schedules.includes(value)) {
      out.push({
        path: formatPath(path),
        message: `${JSON.stringify(value)} — no such schedule; expected one of the names under schedules (${known})`,
      });
    }
  };
  const checkScope = (entry: Record<string, unknown>, path: PathPart[]) => {
    const own = isRecord(entry['fortiflex']) ? entry['fortiflex'] : {};
    const missing = ['accountId', 'programSerialNumber'].filter(
      (key) => own[key] === undefined && defaultScope[key] === undefined,
    );
    if (missing.length) {
      out.push({
        path: formatPath([...path, 'fortiflex']),
        message: `${describeValue(entry['fortiflex'])} — no ${missing.join(' or ')} here or in the top-level fortiflex scope; expected e.g. fortiflex: { accountId: 12345, programSerialNumber: ELAVMR0000000519 }`,
      });
    }
  };
  const checkUnique = (list: unknown, section: string) => {
    if (!Array.isArray(list)) return;
    const seen = new Map<string, number>();
    list.forEach((entry, index) => {
      if (!isRecord(entry) || typeof entry['name'] !== 'string') return;
      const first = seen.get(entry['name']);
      if (first !== undefined) {
        out.push({
          path: formatPath([section, index, 'name']),
          message: `${JSON.stringify(entry['name'])} — duplicate name (also ${section}[${first}]); expected unique ${section} names`,
        });
      } else seen.set(entry['name'], index);
    });
  };

  const rules = input['rules'];
  if (Array.isArray(rules)) {
    rules.forEach((rule, index) => {
      if (!isRecord(rule)) return;
      checkScheduleRef(rule['schedule'], ['rules', index, 'schedule']);
      checkScope(rule, ['rules', index]);
    });
  }
  checkUnique(rules, 'rules');
  const pools = input['pools'];
  if (Array.isArray(pools)) {
    pools.forEach((pool, index) => {
      if (!isRecord(pool)) return;
      if (Array.isArray(pool['capacity'])) {
        pool['capacity'].forEach((entry, i) => {
          if (isRecord(entry))
            checkScheduleRef(entry['schedule'], ['pools', index, 'capacity', i, 'schedule']);
        });
      }
      checkScope(pool, ['pools', index]);
      if (pool['fortigate'] !== undefined && !isRecord(pool['scaleSet'])) {
        out.push({
          path: formatPath(['pools', index, 'fortigate']),
          message:
            'needs the scale set whose FortiGates it licenses; expected scaleSet: { resourceId: "/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Compute/virtualMachineScaleSets/<name>" }',
        });
      }
    });
  }
  checkUnique(pools, 'pools');
  return out;
}

function resolveScope(
  own: Partial<FortiFlexScope> | undefined,
  fallback: Partial<FortiFlexScope> | undefined,
) {
  return {
    accountId: (own?.accountId ?? fallback?.accountId)!,
    programSerialNumber: (own?.programSerialNumber ?? fallback?.programSerialNumber)!,
  };
}

function toPolicy(parsed: PolicySchemaOutput): Policy {
  const { fortiflex, mode, safety, schedules, rules, pools, rates } = parsed;
  const policy: Policy = {
    ...(fortiflex ? { fortiflex } : {}),
    mode,
    safety,
    schedules,
    rules: rules.map((rule) => ({ ...rule, fortiflex: resolveScope(rule.fortiflex, fortiflex) })),
    pools: pools.map((pool) => ({ ...pool, fortiflex: resolveScope(pool.fortiflex, fortiflex) })),
  };
  if (rates) {
    policy.rates = Object.fromEntries(Object.entries(rates).map(([k, v]) => [Number(k), v]));
  }
  return policy;
}

/** Validates an already-parsed policy value (e.g. from JSON). Throws {@link PolicyError} listing every problem. */
export function validatePolicy(value: unknown, source?: string): Policy {
  const result = policySchema.safeParse(value);
  const issues = [...(result.success ? [] : zodIssues(result.error, value)), ...crossFieldIssues(value)];
  if (!result.success || issues.length) throw new PolicyError(issues, source);
  return toPolicy(result.data);
}

/**
 * Most nodes the document may hold once its aliases are expanded. A real policy has a few hundred; the
 * bound stops alias chains that multiply ("billion laughs") before anything is expanded.
 */
export const MAX_EXPANDED_NODES = 10_000;

/**
 * Problems of the YAML structure that the schema never sees, each naming its path: an alias without an
 * anchor, a list or mapping used as a mapping key (JS objects cannot hold it), and aliases that expand the
 * document beyond {@link MAX_EXPANDED_NODES}.
 */
function structureIssues(doc: Document): PolicyIssue[] {
  const issues: PolicyIssue[] = [];
  const sizes = new Map<unknown, number>();
  const inProgress = new Set<unknown>();
  const cap = MAX_EXPANDED_NODES + 1;
  /** Nodes under `node` with aliases expanded (capped), without reporting anything. */
  const sizeOf = (node: unknown): number => {
    if (isAlias(node)) return sizeOf(node.resolve(doc));
    if (!isCollection(node)) return 1;
    const known = sizes.get(node);
    if (known !== undefined) return known;
    if (inProgress.has(node)) return cap; // an alias inside its own anchor expands without end
    inProgress.add(node);
    let size = 1;
    for (const item of node.items) {
      const children = isMap(node) ? [(item as { value?: unknown }).value] : [item];
      for (const child of children) size = Math.min(cap, size + sizeOf(child));
    }
    inProgress.delete(node);
    sizes.set(node, size);
    return size;
  };
  let total = 0;
  let bombed = false;
  const walk = (node: unknown, path: PathPart[]): void => {
    if (bombed || node === null || node === undefined) return;
    if (isAlias(node)) {
      const target = node.resolve(doc);
      if (!target) {
        issues.push({
          path: formatPath(path),
          message: `*${node.source} — alias of an anchor that is not defined before it; expected "&${node.source}" on an earlier value`,
        });
        return;
      }
      total += sizeOf(target);
    } else {
      total += 1;
    }
    if (total > MAX_EXPANDED_NODES) {
      bombed = true;
      issues.push({
        path: formatPath(path),
        message: `aliases expand the policy beyond ${MAX_EXPANDED_NODES} values; expected a policy without multiplying alias chains`,
      });
      return;
    }
    if (isAlias(node)) return; // its target was checked where it is defined
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isAlias(pair.key) ? pair.key.resolve(doc) : pair.key;
        if (isCollection(key)) {
          issues.push({
            path: formatPath(path),
            message: 'a list or mapping used as a key; expected plain keys such as names',
          });
          continue;
        }
        const name = isScalar(key) ? String(key.value) : String(key);
        walk(pair.value, [...path, name]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => walk(item, [...path, index]));
    }
  };
  walk(doc.contents as Node | null, []);
  return issues;
}

/**
 * Parses policy text, YAML or JSON (YAML 1.2, so JSON is accepted as is; `07:00` and `NO` stay strings),
 * and validates it. `fileName` only labels errors. Throws {@link PolicyError}.
 */
export function parsePolicy(source: string, fileName?: string): Policy {
  const label = fileName ?? 'policy';
  const doc = parseDocument(source, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) {
    throw new PolicyError(
      doc.errors.map((e) => {
        const at = e.linePos?.[0];
        return {
          path: at ? `${label}:${at.line}:${at.col}` : label,
          message: `${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')} — not valid YAML/JSON; expected e.g. "mode: enforce"`,
        };
      }),
      label,
    );
  }
  const structural = structureIssues(doc);
  if (structural.length) throw new PolicyError(structural, label);
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (error) {
    // A backstop: structureIssues has already refused what the yaml library refuses here.
    throw new PolicyError(
      [{ path: '(policy)', message: `${(error as Error).message}; expected a plain YAML or JSON policy` }],
      label,
    );
  }
  if (value === null || value === undefined) {
    throw new PolicyError(
      [{ path: '(policy)', message: 'empty — no content; expected a mapping with schedules and rules' }],
      label,
    );
  }
  return validatePolicy(value, label);
}
