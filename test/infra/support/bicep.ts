/**
 * Bicep helpers for the infra checks: a syntax check through the tree-sitter-bicep grammar (WASM, no Bicep
 * compiler needed) and small text extractors for app settings, role definitions and secure parameters.
 * Syntax only: types, resource properties and registry modules are checked by `az`/`azd` when they compile.
 */
import fs from 'node:fs';
import path from 'node:path';
import Parser from 'web-tree-sitter';

/** The repository root (this file lives in test/infra/support). */
export const ROOT = path.resolve(__dirname, '..', '..', '..');

let parserPromise: Promise<Parser> | undefined;

/** One parser for the whole test file; `Parser.init()` loads the tree-sitter runtime WASM once. */
export function bicepParser(): Promise<Parser> {
  parserPromise ??= (async () => {
    await Parser.init();
    const wasm = path.join(
      path.dirname(require.resolve('tree-sitter-bicep/package.json')),
      'tree-sitter-bicep.wasm',
    );
    const language = await Parser.Language.load(wasm);
    const parser = new Parser();
    parser.setLanguage(language);
    return parser;
  })();
  return parserPromise;
}

/** The first syntax problem in a parse tree, 1-based line and column, or undefined when the tree is clean. */
export interface SyntaxProblem {
  line: number;
  column: number;
  kind: 'ERROR' | 'MISSING';
  text: string;
}

function firstProblem(node: Parser.SyntaxNode): SyntaxProblem | undefined {
  if (node.type === 'ERROR' || node.isMissing) {
    return {
      line: node.startPosition.row + 1,
      column: node.startPosition.column + 1,
      kind: node.isMissing ? 'MISSING' : 'ERROR',
      text: node.isMissing ? node.type : node.text.split('\n')[0]!.slice(0, 60),
    };
  }
  if (!node.hasError) return undefined;
  for (const child of node.children) {
    const found = firstProblem(child);
    if (found) return found;
  }
  // hasError without an ERROR/MISSING descendant: report the node itself.
  return {
    line: node.startPosition.row + 1,
    column: node.startPosition.column + 1,
    kind: 'ERROR',
    text: node.type,
  };
}

/** Parses Bicep source; returns the first problem (undefined = parses cleanly). */
export async function checkBicepSyntax(source: string): Promise<SyntaxProblem | undefined> {
  const parser = await bicepParser();
  const tree = parser.parse(source);
  try {
    return tree.rootNode.hasError ? firstProblem(tree.rootNode) : undefined;
  } finally {
    tree.delete();
  }
}

/** Every .bicep file under `dir`, relative to ROOT, sorted. */
export function bicepFiles(dir = path.join(ROOT, 'infra')): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.bicep')) out.push(path.relative(ROOT, full));
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out.sort();
}

/** Bicep source with `//` line comments and block comments removed (strings are left alone). */
export function stripComments(source: string): string {
  let out = '';
  let i = 0;
  let inString = false;
  while (i < source.length) {
    const c = source[i]!;
    if (inString) {
      out += c;
      if (c === '\\') {
        out += source[i + 1] ?? '';
        i += 2;
        continue;
      }
      if (c === "'") inString = false;
      i += 1;
    } else if (c === "'") {
      inString = true;
      out += c;
      i += 1;
    } else if (source.startsWith('//', i)) {
      while (i < source.length && source[i] !== '\n') i += 1;
    } else if (source.startsWith('/*', i)) {
      const end = source.indexOf('*/', i + 2);
      i = end < 0 ? source.length : end + 2;
    } else {
      out += c;
      i += 1;
    }
  }
  return out;
}

/**
 * App setting names a Bicep file assigns: object keys written as `NAME: value` whose name looks like an
 * app setting (upper-case with underscores, or the `AzureWebJobsStorage` family). Lower-camel-case
 * resource properties are not app settings and are ignored.
 */
export function appSettingKeys(source: string): Set<string> {
  const keys = new Set<string>();
  const pattern = /^\s*'?([A-Za-z][A-Za-z0-9_]*)'?\s*:/gm;
  for (const match of stripComments(source).matchAll(pattern)) {
    const name = match[1]!;
    if (/^[A-Z][A-Z0-9_]*$/.test(name) || /^AzureWebJobs[A-Za-z]*(__\w+)?$/.test(name)) keys.add(name);
  }
  return keys;
}

/** Role definition GUIDs referenced by a Bicep file (lower-case). */
export function roleGuids(source: string): Set<string> {
  const guids = new Set<string>();
  for (const match of stripComments(source).matchAll(
    /'([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})'/gi,
  )) {
    guids.add(match[1]!.toLowerCase());
  }
  return guids;
}

/** Names of `@secure()` parameters in a Bicep file. */
export function secureParams(source: string): string[] {
  const names: string[] = [];
  const pattern = /@secure\(\)\s*(?:@[^\n]*\n\s*)*param\s+([A-Za-z_][A-Za-z0-9_]*)/g;
  for (const match of stripComments(source).matchAll(pattern)) names.push(match[1]!);
  return names;
}

/** `output` declarations: name and the expression text (to the end of the line). */
export function outputs(source: string): { name: string; expression: string }[] {
  const result: { name: string; expression: string }[] = [];
  for (const match of stripComments(source).matchAll(/^output\s+([A-Za-z_]\w*)\s+\w+\s*=\s*(.+)$/gm)) {
    result.push({ name: match[1]!, expression: match[2]! });
  }
  return result;
}

/** Module references to the public registry, e.g. `br/public:avm/res/web/site:0.15.1`. */
export function registryModules(source: string): string[] {
  return [...stripComments(source).matchAll(/'(br\/public:[^']+)'/g)].map((match) => match[1]!);
}

/** One `key: value` of an object literal in a Bicep file, with where it sits. */
export interface BicepProperty {
  /** The `resource`/`module`/`var`/`param`/`output` declaration it belongs to (its identifier). */
  declaration: string;
  /** The declaration's type string: `Microsoft.Web/sites@…`, `br/public:…`, `./modules/x.bicep` ('' for var). */
  type: string;
  /** Keys from the declaration's body down to this property, e.g. `['params', 'siteConfig', 'ftpsState']`. */
  path: string[];
  /** Source text of the value. */
  value: string;
  /** Tree-sitter node type of the value (`object`, `boolean`, `string`, `call_expression`, …). */
  valueType: string;
}

const DECLARATIONS = new Set([
  'resource_declaration',
  'module_declaration',
  'variable_declaration',
  'parameter_declaration',
  'output_declaration',
]);

/** Every object property in `source`, parsed with tree-sitter-bicep (comments and strings cannot fool it). */
export async function bicepProperties(source: string): Promise<BicepProperty[]> {
  const parser = await bicepParser();
  const tree = parser.parse(source);
  const out: BicepProperty[] = [];
  const keyOf = (property: Parser.SyntaxNode): string => {
    const key = property.namedChildren[0]!;
    return key.type === 'string' ? key.text.replace(/^'|'$/g, '') : key.text;
  };
  const visit = (node: Parser.SyntaxNode, declaration: string, type: string, path: string[]): void => {
    if (DECLARATIONS.has(node.type)) {
      const name = node.namedChildren.find((c) => c.type === 'identifier')?.text ?? '';
      const typeNode = node.namedChildren.find((c) => c.type === 'string');
      for (const child of node.namedChildren)
        visit(child, name, typeNode ? typeNode.text.replace(/^'|'$/g, '') : '', []);
      return;
    }
    if (node.type === 'object_property') {
      const key = keyOf(node);
      const value = node.namedChildren[node.namedChildren.length - 1]!;
      out.push({ declaration, type, path: [...path, key], value: value.text, valueType: value.type });
      for (const child of node.namedChildren.slice(1)) visit(child, declaration, type, [...path, key]);
      return;
    }
    for (const child of node.namedChildren) visit(child, declaration, type, path);
  };
  try {
    visit(tree.rootNode, '', '', []);
  } finally {
    tree.delete();
  }
  return out;
}
