import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, bicepFiles, checkBicepSyntax } from './support/bicep';

describe('Bicep syntax (tree-sitter-bicep)', () => {
  const files = bicepFiles();

  it('finds the templates', () => {
    expect(files).toContain('infra/main.bicep');
    expect(files.length).toBeGreaterThan(1);
  });

  it.each(files)('%s parses without errors', async (file) => {
    const problem = await checkBicepSyntax(fs.readFileSync(path.join(ROOT, file), 'utf8'));
    expect(
      problem,
      problem && `${file}:${problem.line}:${problem.column}: ${problem.kind} near "${problem.text}"`,
    ).toBeUndefined();
  });

  it('reports the line of a syntax error (negative control)', async () => {
    const broken = [
      'param name string',
      "resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {",
      '  name: name',
      "  location: 'x' 'y'",
      '}',
    ].join('\n');
    const problem = await checkBicepSyntax(broken);
    expect(problem).toBeDefined();
    expect(problem!.line).toBe(4);
  });

  it('reports a missing closing brace (negative control)', async () => {
    const problem = await checkBicepSyntax("var tags = {\n  env: 'x'\n");
    expect(problem).toBeDefined();
  });

  it('accepts the newer syntax the templates rely on', async () => {
    const modern = [
      "targetScope = 'subscription'",
      'param principalId string = deployer().objectId',
      'var x = empty(principalId) ? {} : { id: principalId }',
      "module m 'br/public:avm/res/web/site:0.15.1' = if (!empty(principalId)) {",
      "  name: 'm'",
      '  params: {',
      "    name: x.?id ?? 'none'",
      '  }',
      '}',
    ].join('\n');
    expect(await checkBicepSyntax(modern)).toBeUndefined();
  });
});
