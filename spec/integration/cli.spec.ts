import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { notAnArchive } from '../../src/sources/archive.js';
import { runCli, sendArgs } from '../support/runCli.js';
import { jpegBytes, pseudoRandomBytes, sha256, textBytes } from '../support/sampleBytes.js';
import { tarBytes, writeTarGz } from '../support/tarFixtures.js';
import { albumEntries, createWorkspace, deliveredFiles, filesUnder, readAlbums, removeWorkspace, type Workspace } from '../support/workspace.js';
import { rawZip, writeRawZip, writeZip } from '../support/zipFixtures.js';

const photos = Array.from({ length: 7 }, (_, i) => ({ name: `p${i + 1}.jpg`, data: jpegBytes(3_000 + i, `cli-${i}`) }));

describe('unspool send', () => {
  let workspace: Workspace;
  /** The CLI's `$TMPDIR`: temp files belong in `<state>/tmp`, so this must stay empty. */
  let osTmp: string;

  beforeEach(async () => {
    workspace = await createWorkspace();
    osTmp = join(workspace.root, 'os-tmp');
    await mkdir(osTmp);
  });

  afterEach(async () => {
    await removeWorkspace(workspace);
  });

  const unspool = (archive: string, ...more: string[]) =>
    runCli(sendArgs(archive, workspace.out, workspace.state, ...more), { env: { TMPDIR: osTmp, TMP: osTmp, TEMP: osTmp } });

  async function expectCleanState() {
    expect(await filesUnder(join(workspace.state, 'tmp'))).toEqual([]);
    expect(await readdir(osTmp)).toEqual([]);
  }

  it('exits 0 with the JSON summary as the last stdout line when everything is delivered or skipped', async () => {
    const archive = join(workspace.root, 'photos.zip');
    await writeZip(archive, [...photos, { name: 'folder', directory: true }, { name: 'empty.txt', data: '' }]);
    const result = await unspool(archive);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.summary).toEqual({
      source: archive,
      entries: 9,
      delivered: 7,
      deliveredBytes: photos.reduce((sum, photo) => sum + photo.data.length, 0),
      albums: 1,
      directories: 1,
      skipped: [{ entry: 'empty.txt', reason: 'empty', detail: expect.any(String) }],
      failed: [],
    });
    const delivered = deliveredFiles(await readAlbums(workspace.out));
    expect(delivered.map(({ entry, sha256 }) => ({ entry, sha256 }))).toEqual(photos.map((photo) => ({ entry: photo.name, sha256: sha256(photo.data) })));
    await expectCleanState();
  });

  it('makes albums of at most --album-size files', async () => {
    const archive = join(workspace.root, 'photos.zip');
    await writeZip(archive, photos);
    const result = await unspool(archive, '--album-size', '3');
    expect(result.code).toBe(0);
    expect(result.summary).toMatchObject({ delivered: 7, albums: 3 });
    expect(albumEntries(await readAlbums(workspace.out))).toEqual([
      ['p1.jpg', 'p2.jpg', 'p3.jpg'],
      ['p4.jpg', 'p5.jpg', 'p6.jpg'],
      ['p7.jpg'],
    ]);
  });

  it('exits 1 and names the archive and the entry on stderr when an entry is corrupt', async () => {
    const archive = join(workspace.root, 'crc.zip');
    await writeRawZip(archive, [...photos.slice(0, 2), { name: 'bad/corrupt.txt', data: textBytes(900, 'crc'), centralCrc32: 0xdeadbeef }]);
    const result = await unspool(archive);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^unspool: ${archive}: bad/corrupt\\.txt: CRC-32 [0-9a-f]{8} does not match the declared deadbeef: the data is corrupt\\n$`));
    expect(result.summary).toMatchObject({ delivered: 2, failed: [{ entry: 'bad/corrupt.txt', reason: 'crc-mismatch' }] });
    await expectCleanState();
  });

  it('exits 1 for a zip entry cut short, delivering the other entries', async () => {
    const archive = join(workspace.root, 'cut.zip');
    await writeRawZip(archive, [photos[0]!, { name: 'cut.bin', data: pseudoRandomBytes(40_000, 'cut'), keepCompressedBytes: 10_000 }, photos[1]!]);
    const result = await unspool(archive);
    expect(result.code).toBe(1);
    expect(result.summary).toMatchObject({ delivered: 2, failed: [{ entry: 'cut.bin', reason: 'truncated' }] });
    expect(result.stderr).toContain(`unspool: ${archive}: cut.bin: the archive ends inside this entry`);
    await expectCleanState();
  });

  it('exits 1 for a truncated tar.gz, delivering what came before the break', async () => {
    const archive = join(workspace.root, 'cut.tar.gz');
    const items = [...photos.slice(0, 3), { name: 'big.bin', data: pseudoRandomBytes(400_000, 'big') }, photos[3]!];
    await writeTarGz(archive, items, { truncateTo: Math.floor(gzipSync(await tarBytes(items)).length * 0.6) });
    const result = await unspool(archive);
    expect(result.code).toBe(1);
    expect(deliveredFiles(await readAlbums(workspace.out)).map((file) => file.entry)).toEqual(['p1.jpg', 'p2.jpg', 'p3.jpg']);
    expect(result.summary?.failed.map((item) => item.reason)).toEqual(['truncated', 'archive-broken']);
    expect(result.stderr).toMatch(new RegExp(`^unspool: ${archive}: the archive breaks after entry 3: `, 'm'));
    await expectCleanState();
  });

  it.each([
    ['a tar', (bytes: Buffer) => bytes, 'cut.tar'],
    ['a tar.gz', (bytes: Buffer) => gzipSync(bytes), 'cut.tar.gz'],
  ])('exits 1 for %s cut exactly between two entries, saying it is cut short', async (_, encode, name) => {
    const archive = join(workspace.root, name);
    const items = photos.slice(0, 4);
    const whole = await tarBytes(items);
    // Each entry is a 512-byte header and its data padded to 512 bytes: cut after the second one.
    const cut = items.slice(0, 2).reduce((at, item) => at + 512 + Math.ceil(item.data.length / 512) * 512, 0);
    await writeFile(archive, encode(whole.subarray(0, cut)));
    const result = await unspool(archive);
    expect(result.code).toBe(1);
    expect(deliveredFiles(await readAlbums(workspace.out)).map((file) => file.entry)).toEqual(['p1.jpg', 'p2.jpg']);
    expect(result.summary?.failed).toEqual([expect.objectContaining({ reason: 'archive-broken', detail: expect.stringContaining('cut short') })]);
    expect(result.stderr).toMatch(new RegExp(`^unspool: ${archive}: the archive breaks after entry 2: .*cut short`, 'm'));
    await expectCleanState();
  });

  it.each([
    ['random bytes', pseudoRandomBytes(5_000, 'noise')],
    ['a plain text file', textBytes(5_000, 'plain text')],
    ['a gzip of a file that is not a tar', gzipSync(textBytes(5_000, 'gzipped'))],
  ])('exits 3 for %s, saying it is not an archive', async (_, bytes) => {
    const archive = join(workspace.root, 'mystery.bin');
    await writeFile(archive, bytes);
    const result = await unspool(archive);
    expect(result.code).toBe(3);
    expect(result.stderr).toBe(`unspool: ${archive}: ${notAnArchive}\n`);
    expect(result.summary).toMatchObject({ source: archive, delivered: 0, failed: [{ entry: '(the whole archive)', reason: 'unreadable' }] });
    expect(await filesUnder(workspace.out)).toEqual([]);
  });

  it('exits 3 for a zip cut off in the middle', async () => {
    const archive = join(workspace.root, 'half.zip');
    const whole = rawZip(photos.map((photo) => ({ ...photo, method: 0 as const })));
    await writeFile(archive, whole.subarray(0, Math.floor(whole.length / 2)));
    const result = await unspool(archive);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(new RegExp(`^unspool: ${archive}: no end of central directory`));
    expect(result.summary?.failed).toEqual([{ entry: '(the whole archive)', reason: 'unreadable', detail: expect.stringMatching(/central directory/) }]);
  });

  it('exits 2 with a one-line message for a bad option', async () => {
    const archive = join(workspace.root, 'photos.zip');
    await writeZip(archive, photos);
    const result = await unspool(archive, '--album-size', '11');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^unspool: .*--album-size.*expected a whole number from 2 to 10/);
    expect(await filesUnder(workspace.out)).toEqual([]);
  });

  it('exits 2 for a destination it does not know', async () => {
    const archive = join(workspace.root, 'photos.zip');
    await writeZip(archive, photos);
    const result = await runCli(['send', archive, '--to', 'ftp:somewhere', '--state', workspace.state]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('unspool: --to "ftp:somewhere": expected dir:<folder> or telegram:<chat>\n');
  });
});
