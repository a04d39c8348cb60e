import { readdirSync, readFileSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileDurably } from '../../src/state/durableFile.js';
import { createWorkspace, removeWorkspace, type Workspace } from '../support/workspace.js';

describe('writeFileDurably', () => {
  let workspace: Workspace;

  beforeEach(async () => {
    workspace = await createWorkspace();
  });

  afterEach(async () => {
    await removeWorkspace(workspace);
  });

  it('replaces a file whole and leaves no temp file beside it', async () => {
    const file = join(workspace.root, 'manifest.json');
    await writeFile(file, 'old');
    await writeFileDurably(file, 'new contents\n');
    expect(await readFile(file, 'utf8')).toBe('new contents\n');
    expect(await readdir(workspace.root)).toEqual(['manifest.json']);
  });

  it('makes the folder when it is missing', async () => {
    const file = join(workspace.state, 'manifests', 'a.json');
    await writeFileDurably(file, '{}');
    expect(await readFile(file, 'utf8')).toBe('{}');
  });

  it('calls onTempFile once, when the temp file beside the file exists and is still empty', async () => {
    const file = join(workspace.root, 'queue.json');
    const seen: string[][] = [];
    let contents = '';
    await writeFileDurably(file, 'queued', () => {
      const names = readdirSync(workspace.root).sort();
      seen.push(names);
      contents = readFileSync(join(workspace.root, names[0]!), 'utf8');
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toEqual([expect.stringMatching(/^queue\.json\.[0-9a-f]{8}$/)]);
    expect(contents).toBe('');
  });

  it('lands writes of one file in the order they were asked for', async () => {
    const file = join(workspace.root, 'manifest.json');
    await Promise.all(Array.from({ length: 20 }, (_, n) => writeFileDurably(file, `version ${n}`)));
    expect(await readFile(file, 'utf8')).toBe('version 19');
    expect(await readdir(workspace.root)).toEqual(['manifest.json']);
  });

  it('fails when the file cannot be written, and leaves no temp file', async () => {
    const folder = join(workspace.root, 'a-folder');
    await writeFileDurably(join(folder, 'inner.json'), 'x');
    await expect(writeFileDurably(folder, 'over a folder')).rejects.toThrow();
    expect((await readdir(workspace.root)).sort()).toEqual(['a-folder']);
  });
});
