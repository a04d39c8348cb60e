import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, sendArgs } from '../support/runCli.js';
import { jpegBytes, sha256 } from '../support/sampleBytes.js';
import { endOfArchive, headerBlock, tarEntry } from '../support/tarBlocks.js';
import { type ExpectedEntry, shapesArchive, tarShapes } from '../support/tarShapes.js';
import { createWorkspace, deliveredFiles, filesUnder, readAlbums, removeWorkspace, type Workspace } from '../support/workspace.js';

/** Why the pipeline skips each kind of entry that is not a file. */
const skipReason = { symlink: 'link', hardlink: 'link', other: 'special' } as const;

describe('unspool send with every tar shape of CPython\'s test archive', () => {
  let workspace: Workspace;
  let osTmp: string;

  beforeEach(async () => {
    workspace = await createWorkspace();
    osTmp = join(workspace.root, 'os-tmp');
    await mkdir(osTmp);
  });

  afterEach(async () => {
    await removeWorkspace(workspace);
  });

  const unspool = (archive: string) =>
    runCli(sendArgs(archive, workspace.out, workspace.state), { env: { TMPDIR: osTmp, TMP: osTmp, TEMP: osTmp }, timeout: 60_000 });

  /** Delivered files as sorted `name sha256` lines: the same names recur, and albums group by media. */
  const digests = (files: ReadonlyArray<{ entry: string; sha256: string }>) => files.map((file) => `${file.entry} ${file.sha256}`).sort();

  it('delivers every file among the shapes and ordinary photos, skips the rest with reasons, and exits 0', async () => {
    const photo = (i: number): ExpectedEntry => ({ name: `photo-${i}.jpg`, kind: 'file', size: 20_000, data: jpegBytes(20_000, `photo-${i}`) });
    const photos = [photo(1), photo(2), photo(3)] as const;
    const shapes = shapesArchive(tarShapes);
    const archive = join(workspace.root, 'shapes.tar');
    await writeFile(
      archive,
      Buffer.concat([
        tarEntry({ name: photos[0].name }, photos[0].data),
        shapes.bytes.subarray(0, -endOfArchive.length),
        tarEntry({ name: photos[1].name }, photos[1].data),
        tarEntry({ name: photos[2].name }, photos[2].data),
        endOfArchive,
      ]),
    );
    const entries: ExpectedEntry[] = [photos[0], ...shapes.entries, photos[1], photos[2]];
    const files = entries.filter((entry) => entry.kind === 'file');

    const result = await unspool(archive);

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.summary).toMatchObject({
      delivered: files.length,
      deliveredBytes: files.reduce((sum, file) => sum + file.size, 0),
      directories: entries.filter((entry) => entry.kind === 'directory').length,
      failed: [],
    });
    expect(result.summary?.skipped.map(({ entry, reason }) => ({ entry, reason }))).toEqual(
      entries.flatMap((entry) => (entry.kind === 'file' || entry.kind === 'directory' ? [] : [{ entry: entry.name, reason: skipReason[entry.kind] }])),
    );
    expect(digests(deliveredFiles(await readAlbums(workspace.out)))).toEqual(digests(files.map((file) => ({ entry: file.name, sha256: sha256(file.data!) }))));
    expect(await filesUnder(join(workspace.state, 'tmp'))).toEqual([]);
    expect(await readdir(osTmp)).toEqual([]);
  });

  it('reads a tar whose first header is an old v7 one with a signed checksum', async () => {
    const data = jpegBytes(5_000, 'v7');
    const name = Buffer.from('Übersicht.jpg', 'latin1');
    const archive = join(workspace.root, 'v7.tar');
    await writeFile(archive, Buffer.concat([tarEntry({ name, dialect: 'v7', checksum: 'signed' }, data), headerBlock({ name: 'end/', typeflag: '5' }), endOfArchive]));

    const result = await unspool(archive);

    expect(result.code).toBe(0);
    expect(result.summary).toMatchObject({ delivered: 1, directories: 1, skipped: [], failed: [] });
    expect(digests(deliveredFiles(await readAlbums(workspace.out)))).toEqual([`Übersicht.jpg ${sha256(data)}`]);
  });
});
