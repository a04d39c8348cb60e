/**
 * Zips split into volumes, written for real: spanned sets (`x.z01 … x.zip`) by Info-ZIP's
 * `zip -s`, and zips cut into pieces (`x.zip.001 …`) by 7-Zip (7z-wasm, `-v`). They are opened and
 * delivered from any of their volumes, byte for byte; a missing volume fails only what it holds.
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, rename, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { lastValueFrom, map, toArray } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { archiveStatePaths } from '../../src/openRun.js';
import { dirSink } from '../../src/sinks/dirSink.js';
import { openArchive } from '../../src/sources/openArchive.js';
import { concatSource } from '../../src/sources/concatSource.js';
import { MissingVolumeError, missingVolumeSource } from '../../src/sources/missingVolume.js';
import { fileSource, readBytes } from '../../src/sources/randomAccess.js';
import { readZipEnd } from '../../src/sources/zipEndRecord.js';
import { openZipVolumes } from '../../src/sources/zipVolumes.js';
import { runCli, sendArgs } from '../support/runCli.js';
import { runSend, runSendUntil, stepsOf } from '../support/runSend.js';
import { jpegBytes, pseudoRandomBytes, sha256, textBytes } from '../support/sampleBytes.js';
import { createWorkspace, deliveredDigests, removeWorkspace, type Workspace } from '../support/workspace.js';

const run = promisify(execFile);
const sevenZipCli = resolve('node_modules', '7z-wasm', 'cli.js');

/**
 * The files zipped: photos of 150 KB that do not compress, so that in 100 KB volumes every one of
 * them starts in one volume and ends in the next (or the one after), and a few small texts between.
 */
const files = [
  ...Array.from({ length: 5 }, (_, i) => ({ name: `src/photo${i}.jpg`, data: jpegBytes(150_000, `volume-${i}`) })),
  ...Array.from({ length: 3 }, (_, i) => ({ name: `src/note${i}.txt`, data: textBytes(2_000 + i, `note-${i}`) })),
];

/** What a complete delivery holds: every file under its entry name, by its SHA-256. */
const expected = files.map(({ name, data }) => ({ entry: name, sha256: sha256(data) })).sort((a, b) => a.entry.localeCompare(b.entry));

/** Writes {@link files} under `folder/src`, photos and notes in turns, so that notes sit between volumes. */
async function writeFiles(folder: string): Promise<string[]> {
  await mkdir(join(folder, 'src'), { recursive: true });
  for (const { name, data } of files) await writeFile(join(folder, name), data);
  const order = files.map((file) => file.name);
  return order.slice(0, 5).flatMap((photo, i) => [photo, ...(order[5 + i] ? [order[5 + i]!] : [])]);
}

/** `zip -s 100k`: the spanned set `x.z01 … x.zip` in `folder`, and its volume names. */
async function spannedSet(folder: string): Promise<string[]> {
  const names = await writeFiles(folder);
  await run('zip', ['-q', '-s', '100k', 'x.zip', ...names], { cwd: folder });
  return (await readdir(folder)).filter((name) => /^x\.z(ip|\d\d)$/.test(name)).sort();
}

/** 7-Zip's `-v100k`: the zip cut into pieces `x.zip.001 …` in `folder`, and their names. */
async function pieces(folder: string): Promise<string[]> {
  const names = await writeFiles(folder);
  await run(process.execPath, [sevenZipCli, 'a', '-tzip', '-v100k', 'x.zip', ...names], { cwd: folder });
  return (await readdir(folder)).filter((name) => /^x\.zip\.\d{3}$/.test(name)).sort();
}

describe('concatSource', () => {
  const bytes = pseudoRandomBytes(3_000, 'concat');
  /** Three files' worth of parts, as sources over slices of {@link bytes}, each reading in small chunks. */
  const part = (from: number, to: number) => ({
    size: to - from,
    source: {
      size: async () => to - from,
      stream: (offset: number, length?: number) => Readable.from(chunks(bytes.subarray(from + offset, length === undefined ? to : Math.min(to, from + offset + length)))),
    },
  });
  const chunks = (buffer: Buffer) => Array.from({ length: Math.ceil(buffer.length / 100) }, (_, i) => buffer.subarray(i * 100, (i + 1) * 100));
  const source = concatSource([part(0, 1_000), part(1_000, 1_001), part(1_001, 3_000)]);

  it('reads any range as the parts one after another would give it', async () => {
    for (const [offset, length] of [[0, 3_000], [990, 20], [1_000, 1], [999, 3], [500, undefined], [2_990, 50], [3_000, 10], [0, 0]] as const) {
      const want = bytes.subarray(offset, length === undefined ? undefined : offset + length);
      expect(await readBytes(source, offset, length ?? 3_000 - offset)).toEqual(want);
    }
    expect(await source.size()).toBe(3_000);
  });

  it('lets go of the part being read when a read across parts is destroyed', async () => {
    const opened: Readable[] = [];
    const watched = (from: number, to: number) => ({
      size: to - from,
      source: {
        size: async () => to - from,
        stream: (offset: number, length?: number) => {
          const stream = Readable.from(chunks(bytes.subarray(from + offset, length === undefined ? to : from + offset + length)));
          opened.push(stream);
          return stream;
        },
      },
    });
    const stream = concatSource([watched(0, 1_000), watched(1_000, 3_000)]).stream(900, 1_000);
    for await (const chunk of stream) {
      if ((chunk as Buffer).equals(bytes.subarray(1_000, 1_100))) break;
    }
    expect(opened).toHaveLength(2);
    await vi.waitFor(() => expect(opened.every((part) => part.destroyed)).toBe(true));
  });

  it('fails a read that reaches a missing part with the name of its file', async () => {
    const gappy = concatSource([part(0, 1_000), { source: missingVolumeSource('x.z02'), size: 1 }, part(1_001, 3_000)]);
    expect(await readBytes(gappy, 0, 1_000)).toEqual(bytes.subarray(0, 1_000));
    expect(await readBytes(gappy, 1_001, 500)).toEqual(bytes.subarray(1_001, 1_501));
    await expect(readBytes(gappy, 900, 200)).rejects.toThrow(new MissingVolumeError('x.z02'));
  });
});

describe('a zip split into volumes', () => {
  let workspace: Workspace;

  beforeEach(async () => {
    workspace = await createWorkspace();
  });

  afterEach(async () => {
    await removeWorkspace(workspace);
  });

  const sendFrom = async (volume: string, options: { retryFailed?: boolean } = {}) =>
    runSend(join(workspace.root, volume), { sink: await dirSink(workspace.out), state: workspace.state, ...options });

  describe('spanned by zip -s (x.z01 … x.zip)', () => {
    it('is written as the spec expects: eight volumes, which unzip reads once joined', async () => {
      const volumes = await spannedSet(workspace.root);
      expect(volumes).toEqual(['x.z01', 'x.z02', 'x.z03', 'x.z04', 'x.z05', 'x.z06', 'x.z07', 'x.zip']);
      await run('zip', ['-q', '-s', '0', 'x.zip', '--out', 'joined.zip'], { cwd: workspace.root });
      await run('unzip', ['-tq', 'joined.zip'], { cwd: workspace.root });
    });

    it.each(['x.z01', 'x.z04', 'x.zip'])('delivers every file byte for byte when %s is named, entries across volumes included', async (volume) => {
      await spannedSet(workspace.root);
      const { summary } = await sendFrom(volume);
      expect(summary).toMatchObject({ entries: files.length, delivered: files.length, skipped: [], failed: [] });
      expect(await deliveredDigests(workspace.out)).toEqual(expected);
    });

    it('delivers what the same files joined into one zip deliver, and opens as one archive of the size of its volumes', async () => {
      const volumes = await spannedSet(workspace.root);
      await run('zip', ['-q', '-s', '0', 'x.zip', '--out', 'joined.zip'], { cwd: workspace.root });
      const joined = await openArchive(join(workspace.root, 'joined.zip'));
      const split = await openArchive(join(workspace.root, 'x.z02'));
      const names = (archive: typeof joined) =>
        lastValueFrom(
          archive.entries().pipe(
            map((entry) => {
              entry.release();
              return entry.name;
            }),
            toArray(),
          ),
        );
      expect(await names(split)).toEqual(await names(joined));
      expect(split).toMatchObject({ format: 'zip', entryCount: files.length, size: 7 * 102_400 + (await sizeOfLast(volumes)) });
    });

    async function sizeOfLast(volumes: readonly string[]): Promise<number> {
      return (await stat(join(workspace.root, volumes.at(-1)!))).size;
    }

    it('fails only the entries whose bytes are in a missing middle volume, naming it, and delivers them once it is back (--retry-failed)', async () => {
      await spannedSet(workspace.root);
      await rename(join(workspace.root, 'x.z03'), join(workspace.root, 'away'));
      const first = await sendFrom('x.z01');
      const missing = join(workspace.root, 'x.z03');
      expect(first.summary.failed.length).toBeGreaterThan(0);
      expect(first.summary.failed.every((item) => item.reason === 'unreadable' && item.detail === `missing volume ${missing}`)).toBe(true);
      expect(first.summary.delivered + first.summary.failed.length).toBe(files.length);
      const delivered = await deliveredDigests(workspace.out);
      expect(delivered.length).toBe(first.summary.delivered);
      expect(delivered.every((file) => expected.some((want) => want.entry === file.entry && want.sha256 === file.sha256))).toBe(true);
      // Volume 3 holds 200–300 KB: the end of the second photo, the note after it, the start of the third.
      expect(first.summary.failed.map((item) => item.entry).sort()).toEqual(['src/note1.txt', 'src/photo1.jpg', 'src/photo2.jpg']);

      await rename(join(workspace.root, 'away'), missing);
      const second = await sendFrom('x.zip', { retryFailed: true });
      expect(second.summary).toMatchObject({ delivered: files.length, failed: [] });
      expect(await deliveredDigests(workspace.out)).toEqual(expected);
    });

    it('cannot be opened without its last volume, and says which file it expects', async () => {
      await spannedSet(workspace.root);
      await rename(join(workspace.root, 'x.zip'), join(workspace.root, 'away'));
      await expect(openArchive(join(workspace.root, 'x.z02'), 'x.z02')).rejects.toThrow(`x.z02: missing volume ${join(workspace.root, 'x.zip')}`);
    });

    it('cannot be opened without a volume that holds part of the central directory, and names it', async () => {
      // 600 long names in 64 KB volumes: the central directory starts in a volume before x.zip.
      await mkdir(join(workspace.root, 'many'));
      const names = Array.from({ length: 600 }, (_, i) => `many/a-long-name-that-makes-the-central-directory-grow-quickly-${String(i).padStart(4, '0')}.txt`);
      for (const name of names) await writeFile(join(workspace.root, name), name);
      await run('zip', ['-q', '-s', '64k', 'x.zip', ...names], { cwd: workspace.root });
      const last = join(workspace.root, 'x.zip');
      const end = await readZipEnd(fileSource(last), (await stat(last)).size);
      expect(end!.directoryDisk).toBeLessThan(end!.lastDisk);
      const holding = `x.z${String(end!.directoryDisk + 1).padStart(2, '0')}`;
      await rename(join(workspace.root, holding), join(workspace.root, 'away'));
      await expect(openArchive(join(workspace.root, 'x.z01'), 'x.z01')).rejects.toThrow(
        `x.z01: missing volume ${join(workspace.root, holding)}, which holds part of the central directory`,
      );
    });

    it('refuses its last volume named alone, saying to name the whole set', async () => {
      await spannedSet(workspace.root);
      for (const volume of ['x.z01', 'x.z02', 'x.z03', 'x.z04', 'x.z05', 'x.z06', 'x.z07']) await rename(join(workspace.root, volume), join(workspace.root, `${volume}.away`));
      await expect(openArchive(join(workspace.root, 'x.zip'), 'x.zip')).rejects.toThrow(/multi-disk zip: this file is the last of the 8 volumes .* name any one of them/);
    });

    it('resumes a stopped delivery when another volume is named, under the same state', async () => {
      await spannedSet(workspace.root);
      const sink = await dirSink(workspace.out);
      await runSendUntil(join(workspace.root, 'x.z01'), { sink, state: workspace.state, albumSize: 2 }, (step) => step.kind === 'delivered');
      const before = await deliveredDigests(workspace.out);
      expect(before.length).toBeGreaterThan(0);
      expect(before.length).toBeLessThan(files.length);

      const second = await runSend(join(workspace.root, 'x.z05'), { sink: await dirSink(workspace.out), state: workspace.state, albumSize: 2 });
      // The album read ahead may have reached the folder before the stop recorded it: it is in
      // flight, sent again under its id (a no-op), so only the first is sure to be settled.
      expect(stepsOf(second.steps, 'opened')[0]!.settled).toBeGreaterThan(0);
      expect(second.summary).toMatchObject({ delivered: files.length, failed: [] });
      expect(await deliveredDigests(workspace.out)).toEqual(expected);
      expect((await readdir(join(workspace.state, 'manifests'))).filter((name) => name.endsWith('.json'))).toHaveLength(1);
    });

    it('keeps its state under one key whichever volume is named', () => {
      const key = (volume: string) => archiveStatePaths(workspace.state, join(workspace.root, volume)).manifest;
      expect(new Set(['x.z01', 'x.z02', 'x.z11', 'x.zip'].map(key)).size).toBe(1);
      expect(new Set(['x.zip.001', 'x.zip.002', 'x.zip.010'].map(key)).size).toBe(1);
      expect(key('x.zip.001')).not.toBe(key('x.zip'));
    });

    it('is delivered by the CLI from a middle volume', async () => {
      await spannedSet(workspace.root);
      const result = await runCli(sendArgs(join(workspace.root, 'x.z03'), workspace.out, workspace.state));
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.summary).toMatchObject({ delivered: files.length, failed: [] });
      expect(await deliveredDigests(workspace.out)).toEqual(expected);
    });
  });

  describe('cut into pieces by 7-Zip (x.zip.001 …)', () => {
    it.each(['first', 'middle', 'last'] as const)('delivers every file byte for byte when the %s piece is named', async (which) => {
      const names = await pieces(workspace.root);
      expect(names.length).toBeGreaterThanOrEqual(7);
      const volume = which === 'first' ? names[0]! : which === 'last' ? names.at(-1)! : names[3]!;
      const { summary } = await sendFrom(volume);
      expect(summary).toMatchObject({ entries: files.length, delivered: files.length, skipped: [], failed: [] });
      expect(await deliveredDigests(workspace.out)).toEqual(expected);
    });

    it('fails only the entries in a missing middle piece, naming it', async () => {
      await pieces(workspace.root);
      await rename(join(workspace.root, 'x.zip.003'), join(workspace.root, 'away'));
      const { summary } = await sendFrom('x.zip.001');
      expect(summary.failed.length).toBeGreaterThan(0);
      expect(summary.failed.every((item) => item.reason === 'unreadable' && item.detail === `missing volume ${join(workspace.root, 'x.zip.003')}`)).toBe(true);
      expect(summary.delivered + summary.failed.length).toBe(files.length);
      const delivered = await deliveredDigests(workspace.out);
      expect(delivered.every((file) => expected.some((want) => want.entry === file.entry && want.sha256 === file.sha256))).toBe(true);
    });

    it('cannot be opened when the piece with the central directory is missing, and names it', async () => {
      // The last piece is smaller than the 64 KiB searched for the end record: the search reaches the piece before it.
      const names = await pieces(workspace.root);
      await rename(join(workspace.root, names.at(-2)!), join(workspace.root, 'away'));
      await expect(openArchive(join(workspace.root, names[0]!), 'x')).rejects.toThrow(`missing volume ${join(workspace.root, names.at(-2)!)}`);
    });
  });

  it('leaves a lone x.zip to the ordinary reader', async () => {
    await writeFiles(workspace.root);
    await run('zip', ['-q', 'x.zip', 'src/note0.txt'], { cwd: workspace.root });
    expect(await openZipVolumes(join(workspace.root, 'x.zip'), 'x.zip')).toBeUndefined();
  });
});
