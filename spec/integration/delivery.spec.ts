import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dirSink } from '../../src/sinks/dirSink.js';
import { runSend } from '../support/runSend.js';
import { jpegBytes, mp3Bytes, mp4Bytes, sha256, textBytes } from '../support/sampleBytes.js';
import { writeTar, writeTarGz } from '../support/tarFixtures.js';
import { albumEntries, createWorkspace, deliveredFiles, filesUnder, readAlbums, removeWorkspace, type Workspace } from '../support/workspace.js';
import { rawZip, unicodePathExtra, writeRawZip, writeZip } from '../support/zipFixtures.js';

const longName = `deep/${'a-very-long-folder-name-'.repeat(5)}/${'x'.repeat(120)}.txt`;

/** A bit of everything: stored, deflated and streamed entries, every media type, Unicode and long names. */
const mixed = [
  { name: 'photos/beach.jpg', data: jpegBytes(300_000, 'beach'), compress: false },
  { name: 'photos/sunset.jpg', data: jpegBytes(5_000, 'sunset') },
  { name: 'clips/jump.mp4', data: mp4Bytes(200_000, 'jump'), stream: true },
  { name: 'music/song.mp3', data: mp3Bytes(50_000, 'song') },
  { name: 'notes/readme.txt', data: textBytes(100_000, 'readme') },
  { name: 'notes/Grüße 日本.txt', data: textBytes(1_000, 'unicode'), stream: true, compress: false },
  { name: longName, data: textBytes(2_000, 'long') },
];

/** Entry name and SHA-256 of every file, sorted: what a byte-exact delivery must reproduce. */
const fingerprints = (files: readonly { name: string; data: Uint8Array }[]) =>
  files.map((file) => ({ entry: file.name, sha256: sha256(file.data) })).sort((a, b) => a.entry.localeCompare(b.entry));

describe('delivery of whole archives', () => {
  let workspace: Workspace;

  beforeEach(async () => {
    workspace = await createWorkspace();
  });

  afterEach(async () => {
    await removeWorkspace(workspace);
  });

  async function deliverAll(archive: string, albumSize?: number) {
    const run = await runSend(archive, { sink: await dirSink(workspace.out), state: workspace.state, albumSize });
    const albums = await readAlbums(workspace.out);
    const delivered = deliveredFiles(albums)
      .map(({ entry, sha256 }) => ({ entry, sha256 }))
      .sort((a, b) => a.entry.localeCompare(b.entry));
    return { ...run, albums, delivered };
  }

  it('delivers every file of a zip byte for byte, stored, deflated and streamed with data descriptors', async () => {
    const archive = join(workspace.root, 'mixed.zip');
    await writeZip(archive, mixed);
    const { summary, delivered } = await deliverAll(archive);
    expect(delivered).toEqual(fingerprints(mixed));
    expect(summary).toMatchObject({ entries: 7, delivered: 7, deliveredBytes: 658_000, skipped: [], failed: [] });
  });

  it('delivers every file of a tar byte for byte, pax long names included', async () => {
    const archive = join(workspace.root, 'mixed.tar');
    await writeTar(archive, mixed);
    const { summary, delivered } = await deliverAll(archive);
    expect(delivered).toEqual(fingerprints(mixed));
    expect(summary).toMatchObject({ delivered: 7, deliveredBytes: 658_000, skipped: [], failed: [] });
  });

  it('delivers every file of a tar.gz byte for byte', async () => {
    const archive = join(workspace.root, 'mixed.tar.gz');
    await writeTarGz(archive, mixed);
    const { summary, delivered } = await deliverAll(archive);
    expect(delivered).toEqual(fingerprints(mixed));
    expect(summary).toMatchObject({ delivered: 7, deliveredBytes: 658_000, skipped: [], failed: [] });
  });

  it('delivers a zip written with zip64 records byte for byte', async () => {
    const archive = join(workspace.root, 'zip64.zip');
    await writeZip(archive, mixed, { zip64: true });
    const { summary, delivered } = await deliverAll(archive);
    expect(delivered).toEqual(fingerprints(mixed));
    expect(summary).toMatchObject({ entries: 7, delivered: 7, failed: [] });
  });

  it('delivers 1,010 entries in 101 full albums, in archive order', async () => {
    const files = Array.from({ length: 1_010 }, (_, i) => ({
      name: `many/${String(i).padStart(4, '0')}.txt`,
      data: textBytes(50 + (i % 7), `many-${i}`),
    }));
    const archive = join(workspace.root, 'many.zip');
    await writeZip(archive, files);
    const { summary, albums, delivered } = await deliverAll(archive);
    expect(albums).toHaveLength(101);
    expect(albums.every((album) => album.files.length === 10)).toBe(true);
    expect(albumEntries(albums).flat()).toEqual(files.map((file) => file.name));
    expect(delivered).toEqual(fingerprints(files));
    expect(summary).toMatchObject({ entries: 1_010, delivered: 1_010, albums: 101, skipped: [], failed: [] });
  });

  it('names entries from the UTF-8 flag, keeping them as album.json entries and file names', async () => {
    const archive = join(workspace.root, 'unicode.zip');
    const files = [
      { name: 'Ünïcödé/naïve café.txt', data: textBytes(300, 'cafe') },
      { name: '日本語/写真.jpg', data: jpegBytes(400, 'photo') },
      { name: 'emoji/🎉 party.txt', data: textBytes(200, 'emoji') },
    ];
    await writeZip(archive, files);
    const { albums } = await deliverAll(archive);
    expect(albums.map((album) => album.files.map(({ entry, file }) => ({ entry, file })))).toEqual([
      [
        { entry: 'Ünïcödé/naïve café.txt', file: 'naïve café.txt' },
        { entry: 'emoji/🎉 party.txt', file: '🎉 party.txt' },
      ],
      [{ entry: '日本語/写真.jpg', file: '写真.jpg' }],
    ]);
  });

  it('names an entry from its Info-ZIP Unicode Path extra field, and ignores a stale one', async () => {
    const archive = join(workspace.root, 'unicode-path.zip');
    const cp437Name = Buffer.from('caf\x82.txt', 'latin1'); // "café.txt" in code page 437
    await writeRawZip(archive, [
      { name: cp437Name, data: 'first', extra: unicodePathExtra(cp437Name, 'kaffee/café ☕.txt') },
      { name: Buffer.from('na\x8bve.txt', 'latin1'), data: 'second', extra: unicodePathExtra(cp437Name, 'stale.txt', 0x12345678) },
    ]);
    const { albums, summary } = await deliverAll(archive);
    expect(albums.map((album) => album.files.map(({ entry, file }) => ({ entry, file })))).toEqual([
      [
        { entry: 'kaffee/café ☕.txt', file: 'café ☕.txt' },
        { entry: 'naïve.txt', file: 'naïve.txt' },
      ],
    ]);
    expect(summary).toMatchObject({ delivered: 2, failed: [] });
  });

  it('delivers an empty zip as nothing at all, and writes no album', async () => {
    const archive = join(workspace.root, 'empty.zip');
    await writeFile(archive, rawZip([]));
    const { summary } = await deliverAll(archive);
    expect(summary).toMatchObject({ entries: 0, delivered: 0, albums: 0, directories: 0, skipped: [], failed: [] });
    expect(await filesUnder(workspace.out)).toEqual([]);
  });
});
