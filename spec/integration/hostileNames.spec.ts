import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dirSink } from '../../src/sinks/dirSink.js';
import { runSend } from '../support/runSend.js';
import { jpegBytes, sha256, textBytes } from '../support/sampleBytes.js';
import { writeTar } from '../support/tarFixtures.js';
import { createWorkspace, filesUnder, readAlbums, removeWorkspace, type Workspace } from '../support/workspace.js';
import { writeRawZip, writeZip } from '../support/zipFixtures.js';

describe('hostile entry names', () => {
  let workspace: Workspace;

  beforeEach(async () => {
    workspace = await createWorkspace();
  });

  afterEach(async () => {
    await removeWorkspace(workspace);
  });

  /** Delivers the archive and returns, per album, `entry -> file name` with the bytes checked. */
  async function deliver(archive: string, bytes: ReadonlyMap<string, Buffer>) {
    const { summary } = await runSend(archive, { sink: await dirSink(workspace.out), state: workspace.state });
    expect(summary.failed).toEqual([]);
    const albums = await readAlbums(workspace.out);
    for (const file of albums.flatMap((album) => album.files)) expect(file.sha256).toBe(sha256(bytes.get(file.entry)!));
    return albums.map((album) => album.files.map(({ entry, file }) => [entry, file]));
  }

  /** Checks that the run wrote only into `out` and `state`, and that `state` keeps nothing but its own files. */
  async function expectNothingOutside(archiveName: string) {
    expect((await readdir(workspace.root)).sort()).toEqual([archiveName, 'out', 'state']);
    expect((await readdir(workspace.state)).sort()).toEqual(['locks', 'manifests', 'tmp']);
    expect(await filesUnder(join(workspace.state, 'tmp'))).toEqual([]);
    for (const name of await readdir(workspace.out)) expect(name).toMatch(/^\d{6}$/);
    for (const escaped of ['escape.jpg', 'root.jpg', 'x.jpg']) expect(existsSync(join(dirname(workspace.root), escaped))).toBe(false);
    expect(existsSync('/abs/root.jpg')).toBe(false);
  }

  it('delivers ../, absolute and drive-letter names under safe names inside the album folder', async () => {
    const names = ['../escape.jpg', '/abs/root.jpg', 'C:\\x.jpg', '../../../../../../tmp/deep-escape.txt', '..\\..\\windows.txt'];
    const bytes = new Map(names.map((name, i) => [name, name.endsWith('.jpg') ? jpegBytes(1_000, name) : textBytes(500 + i, name)]));
    const archive = join(workspace.root, 'hostile.zip');
    await writeRawZip(archive, names.map((name) => ({ name, data: bytes.get(name)! })));
    expect(await deliver(archive, bytes)).toEqual([
      [
        ['../escape.jpg', 'escape.jpg'],
        ['/abs/root.jpg', 'root.jpg'],
        ['C:\\x.jpg', 'x.jpg'],
      ],
      [
        ['../../../../../../tmp/deep-escape.txt', 'deep-escape.txt'],
        ['..\\..\\windows.txt', 'windows.txt'],
      ],
    ]);
    await expectNothingOutside('hostile.zip');
  });

  it('delivers ../ and absolute names from a tar under safe names inside the album folder', async () => {
    const names = ['../escape.jpg', '/abs/root.jpg'];
    const bytes = new Map(names.map((name) => [name, jpegBytes(1_000, name)]));
    const archive = join(workspace.root, 'hostile.tar');
    await writeTar(archive, names.map((name) => ({ name, data: bytes.get(name)! })));
    expect(await deliver(archive, bytes)).toEqual([
      [
        ['../escape.jpg', 'escape.jpg'],
        ['/abs/root.jpg', 'root.jpg'],
      ],
    ]);
    await expectNothingOutside('hostile.tar');
  });

  it('replaces control characters and gives names with nothing usable a generated one', async () => {
    const names = ['tab\there.txt', 'bell\u0007\u001f.txt', 'dir\\sub\\back.txt', '..', '.hidden.txt', `${'é'.repeat(200)}.txt`];
    const bytes = new Map(names.map((name) => [name, textBytes(300, name)]));
    const archive = join(workspace.root, 'odd.zip');
    await writeRawZip(archive, names.map((name) => ({ name, data: bytes.get(name)! })));
    const [album] = await deliver(archive, bytes);
    const files = album!.map(([, file]) => file!);
    expect(files.slice(0, 5)).toEqual(['tab_here.txt', 'bell__.txt', 'back.txt', 'entry-3', 'hidden.txt']);
    expect(files[5]).toMatch(/^é+\.txt$/);
    expect(Buffer.byteLength(files[5]!)).toBeLessThanOrEqual(255);
    await expectNothingOutside('odd.zip');
  });

  it('gives duplicate names distinct file names within an album, album.json included', async () => {
    const names = ['a/same.txt', 'b/same.txt', 'same.txt', 'SAME.TXT', 'album.json'];
    const archive = join(workspace.root, 'duplicates.zip');
    const items = names.map((name, i) => ({ name, data: textBytes(400 + i, name) }));
    await writeZip(archive, [...items, { name: 'same.txt', data: textBytes(999, 'same again') }]);
    const bytes = new Map(items.map((item) => [item.name, item.data]));
    const { summary } = await runSend(archive, { sink: await dirSink(workspace.out), state: workspace.state });
    expect(summary).toMatchObject({ entries: 6, delivered: 6, failed: [] });
    const [album] = await readAlbums(workspace.out);
    expect(album!.files.map((file) => file.file)).toEqual(['same.txt', 'same (2).txt', 'same (3).txt', 'SAME (4).TXT', 'album (2).json', 'same (5).txt']);
    for (const file of album!.files.slice(0, 5)) expect(file.sha256).toBe(sha256(bytes.get(file.entry)!));
    expect(album!.files[5]!.sha256).toBe(sha256(textBytes(999, 'same again')));
    expect((await readdir(join(workspace.out, album!.folder))).sort()).toEqual(
      ['SAME (4).TXT', 'album (2).json', 'album.json', 'same (2).txt', 'same (3).txt', 'same (5).txt', 'same.txt'].sort(),
    );
  });
});
