import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The layering the README's "How it works" states, checked on every import of the program's own
 * files: what may use what. A file's imports are read as text (static `from '…'` and dynamic
 * `import('…')`), relative ones resolved to the repository's paths.
 */

const root = resolve('.');

function sourceFiles(folder: string): string[] {
  return readdirSync(join(root, folder), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)));
}

const files = [...sourceFiles('src'), ...sourceFiles('operators')];

/** The repository paths a file imports, `.js` specifiers read as the `.ts` files they are built from. */
function importsOf(file: string): string[] {
  // Comments are left out: a doc comment's example may import the file it documents.
  const text = readFileSync(join(root, file), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((match) => match[1]!);
  return specifiers.map((specifier) => relative(root, resolve(dirname(join(root, file)), specifier)).replace(/\.js$/, '.ts'));
}

const graph = new Map(files.map((file) => [file, importsOf(file)]));

/** Every import from files under `from` into files under one of `to`, but the allowed ones. */
function crossings(from: string, to: readonly string[], allowed: readonly string[] = []): string[] {
  return [...graph]
    .filter(([file]) => file.startsWith(from))
    .flatMap(([file, imports]) => imports.filter((target) => to.some((prefix) => target.startsWith(prefix)) && !allowed.includes(target)).map((target) => `${file} → ${target}`));
}

/** The sink seam every layer may name: the pipeline hands albums to a `Sink`. */
const sinkSeam = ['src/sinks/sink.ts'];
const above = ['src/cli/', 'src/bot/', 'src/pipeline.ts', 'src/openRun.ts', 'src/sendOptions.ts'];

describe('layering', () => {
  it('sources never import the CLI, the bot, the pipeline or a sink', () => {
    expect(crossings('src/sources/', [...above, 'src/sinks/'], sinkSeam)).toEqual([]);
  });

  it('sinks never import the CLI, the bot, the pipeline or a source', () => {
    expect(crossings('src/sinks/', [...above, 'src/sources/'])).toEqual([]);
  });

  it('the Telegram client never imports a source, a sink, run state, the CLI or the bot', () => {
    expect(crossings('src/telegram/', [...above, 'src/sources/', 'src/sinks/', 'src/state/'])).toEqual([]);
  });

  it('run state never imports a source, the Telegram client, the CLI or the bot, and of the sinks only their seam', () => {
    expect(crossings('src/state/', [...above, 'src/sources/', 'src/telegram/', 'src/sinks/'], sinkSeam)).toEqual([]);
  });

  it('operators import only the pipeline\'s types and domain modules: no source, sink, Telegram client, CLI or bot', () => {
    expect(crossings('operators/', [...above, 'src/sources/', 'src/sinks/', 'src/telegram/'], sinkSeam)).toEqual([]);
  });

  it('nothing but the CLI imports the CLI', () => {
    expect(crossings('src/', ['src/cli/']).filter((line) => !line.startsWith('src/cli/'))).toEqual([]);
  });

  it('has no import cycle', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        cycles.push([...path.slice(path.indexOf(file)), file].join(' → '));
        return;
      }
      state.set(file, 'open');
      for (const target of graph.get(file) ?? []) if (graph.has(target)) visit(target, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of graph.keys()) visit(file, []);
    expect(cycles).toEqual([]);
  });
});
