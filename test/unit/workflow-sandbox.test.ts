/**
 * Workflow code runs in Temporal's deterministic sandbox, bundled by webpack from src/workflows/index.ts.
 * A Node built-in (fs, crypto, …) anywhere in that import graph breaks the bundle or, worse, brings
 * non-determinism; a stray package may do the same. This walks the graph the bundler would see and
 * fails naming the file and the import. (samples-typescript uses an eslint rule for the same job; this
 * also catches imports reached indirectly, e.g. via src/manifest or src/plan.)
 */
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const ROOT = resolve(__dirname, '..', '..');
const ENTRY = join(ROOT, 'src', 'workflows', 'index.ts');

/** Packages known to be safe inside the workflow sandbox. Add one only if workflow code truly needs it. */
const ALLOWED_PACKAGES = ['@temporalio/workflow', '@temporalio/common', 'zod'];

/**
 * The module specifiers a file loads at run time. `import type` / `export type` are skipped because
 * TypeScript erases them, so they never reach the bundle (that is how workflows can name activity types).
 * Uses the TypeScript parser rather than a regex so multi-line imports and comments cannot hide one.
 */
function runtimeImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
  return source.statements.flatMap((statement) => {
    if (ts.isImportDeclaration(statement) && !statement.importClause?.isTypeOnly) {
      return [(statement.moduleSpecifier as ts.StringLiteral).text];
    }
    if (ts.isExportDeclaration(statement) && !statement.isTypeOnly && statement.moduleSpecifier) {
      return [(statement.moduleSpecifier as ts.StringLiteral).text];
    }
    return [];
  });
}

/** `./x` → `./x.ts` or `./x/index.ts`, as the bundler resolves it. */
function resolveRelative(from: string, specifier: string): string | undefined {
  const base = resolve(dirname(from), specifier);
  return [`${base}.ts`, join(base, 'index.ts')].find((candidate) => existsSync(candidate));
}

/** `@scope/name/sub` → `@scope/name`; `name/sub` → `name`. */
const packageName = (specifier: string) =>
  specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

const isBuiltin = (specifier: string) =>
  specifier.startsWith('node:') || builtinModules.includes(specifier) || builtinModules.includes(packageName(specifier));

/** Follows relative imports from the entry; returns every package seen and every forbidden import. */
function walkWorkflowGraph(entry: string) {
  const seen = new Set<string>([entry]);
  const queue = [entry];
  const packages = new Set<string>();
  const problems: string[] = [];
  for (const file of queue) {
    const where = relative(ROOT, file);
    for (const specifier of runtimeImports(file)) {
      if (specifier.startsWith('.')) {
        const target = resolveRelative(file, specifier);
        if (!target) problems.push(`${where}: import '${specifier}' does not resolve to a .ts file`);
        else if (!seen.has(target)) {
          seen.add(target);
          queue.push(target);
        }
      } else if (isBuiltin(specifier)) {
        problems.push(`${where}: import '${specifier}' is a Node built-in`);
      } else {
        packages.add(packageName(specifier));
        if (!ALLOWED_PACKAGES.includes(packageName(specifier))) {
          problems.push(`${where}: import '${specifier}' is not an allowed workflow package`);
        }
      }
    }
  }
  return { files: [...seen].map((f) => relative(ROOT, f)), packages: [...packages].sort(), problems };
}

describe('workflow sandbox', () => {
  test('code reachable from src/workflows/index.ts imports no Node built-ins and only allowed packages', () => {
    const { files, packages, problems } = walkWorkflowGraph(ENTRY);
    expect(problems).toEqual([]);
    // Guards against a walker that silently finds nothing (and so passes for the wrong reason).
    expect(files).toContain(join('src', 'workflows', 'deployment.ts'));
    expect(packages).toContain('@temporalio/workflow');
  });
});
