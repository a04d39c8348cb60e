import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { lastValueFrom } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { send } from '../../src/pipeline.js';
import { dirSink } from '../../src/sinks/dirSink.js';
import { notAnArchive } from '../../src/sources/archive.js';
import { detectFormat } from '../../src/sources/detectFormat.js';
import { compress, type Compression, gnuTar, writeCompressedTar } from '../support/compressedTars.js';
import { runSend, runSendUntil, stepsOf } from '../support/runSend.js';
import { jpegBytes, pseudoRandomBytes, sha256, textBytes } from '../support/sampleBytes.js';
import { createWorkspace, deliveredDigests, filesUnder, removeWorkspace, type Workspace } from '../support/workspace.js';

/** Eight photos and two documents, about 900 KB: several bzip2 blocks at `-1`, several zstd blocks. */
const files = [
  ...Array.from({ length: 8 }, (_, i) => ({ name: `photos/p${i}.jpg`, data: jpegBytes(60_000 + i * 11_000, `compressed-${i}`) })),
  { name: 'docs/notes.txt', data: textBytes(200_000, 'notes') },
  { name: 'docs/more.txt', data: textBytes(30_000, 'more') },
];
const digests = (list: readonly { name: string; data: Uint8Array }[]) => list.map((file) => ({ entry: file.name, sha256: sha256(file.data) })).sort((a, b) => a.entry.localeCompare(b.entry));
const expected = digests(files);

/** Small blocks for bzip2, so that a cut or a damaged byte leaves whole blocks before it. */
const small: Record<Compression, string[]> = { 'tar.xz': [], 'tar.bz2': ['-1'], 'tar.zst': [] };
const compressions: Compression[] = ['tar.xz', 'tar.bz2', 'tar.zst'];

describe('tar.xz, tar.bz2 and tar.zst', () => {
  let workspace: Workspace;

  beforeEach(async () => {
    workspace = await createWorkspace();
  });

  afterEach(async () => {
    await removeWorkspace(workspace);
  });

  const options = async () => ({ sink: await dirSink(workspace.out), state: workspace.state, albumSize: 4 });

  it.each([
    ['tar.xz', 'photos.tar.xz'],
    ['tar.xz', 'photos.txz'],
    ['tar.xz', 'renamed.bin'],
    ['tar.bz2', 'photos.tar.bz2'],
    ['tar.bz2', 'photos.tbz2'],
    ['tar.zst', 'photos.tar.zst'],
    ['tar.zst', 'photos.tzst'],
    ['tar.zst', 'renamed'],
  ] as const)('delivers every entry of a %s named %s, told by its first bytes', async (compression, name) => {
    const archive = join(workspace.root, name);
    await writeCompressedTar(archive, files, compression);
    expect(await detectFormat(archive)).toBe(compression);
    const { summary } = await runSend(archive, await options());
    expect(summary).toMatchObject({ delivered: files.length, failed: [] });
    expect(await deliveredDigests(workspace.out)).toEqual(expected);
  });

  it.each(compressions)('decodes a %s made of several streams to its end', async (compression) => {
    const archive = join(workspace.root, `multi.${compression}`);
    await writeCompressedTar(archive, files, compression, { streams: 4, compressorArgs: small[compression] });
    const { summary } = await runSend(archive, await options());
    expect(summary).toMatchObject({ delivered: files.length, failed: [] });
    expect(await deliveredDigests(workspace.out)).toEqual(expected);
  });

  it.each(compressions)('delivers what a truncated %s holds before the break and reports the rest as lost', async (compression) => {
    const before = [files[8]!, files[0]!];
    const big = { name: 'big.bin', data: pseudoRandomBytes(600_000, 'big') };
    const never = { name: 'never.txt', data: textBytes(1_000, 'never') };
    const whole = await compress(await gnuTar([...before, big, never]), compression, { compressorArgs: small[compression] });
    const archive = join(workspace.root, `cut.${compression}`);
    await writeFile(archive, whole.subarray(0, Math.floor(whole.length * 0.7)));
    const { summary, steps } = await runSend(archive, await options());
    expect(await deliveredDigests(workspace.out)).toEqual(digests(before));
    expect(summary.failed.map(({ entry, reason }) => ({ entry, reason }))).toEqual([
      { entry: 'big.bin', reason: 'truncated' },
      { entry: '(the rest of the archive)', reason: 'archive-broken' },
    ]);
    expect(stepsOf(steps, 'broken')).toHaveLength(1);
    expect(await filesUnder(join(workspace.state, 'tmp'))).toEqual([]);
  });

  it.each(compressions)('reports damage in the middle of a %s, and delivers no entry with wrong bytes before it', async (compression) => {
    const archive = join(workspace.root, `damaged.${compression}`);
    const bytes = await compress(await gnuTar(files), compression, { compressorArgs: small[compression] });
    for (const at of [0.6, 0.61, 0.62]) bytes.writeUInt8(bytes.readUInt8(Math.floor(bytes.length * at)) ^ 0x55, Math.floor(bytes.length * at));
    await writeFile(archive, bytes);
    const { summary } = await runSend(archive, await options());
    expect(summary.failed.length).toBeGreaterThan(0);
    const delivered = await deliveredDigests(workspace.out);
    // The entries that lie wholly before the damage come through intact, whatever the format.
    for (const file of digests(files.slice(0, 2))) expect(delivered).toContainEqual(file);
    if (compression === 'tar.bz2') {
      // bzip2 checks each block's CRC before a byte of it is handed on: nothing wrong gets out.
      for (const file of delivered) expect(expected).toContainEqual(file);
    }
  });

  it.each([
    ['tar.xz', 'notes.xz'],
    ['tar.bz2', 'notes.bz2'],
    ['tar.zst', 'notes.zst'],
  ] as const)('refuses a %s that holds no tar (%s) as not an archive', async (compression, name) => {
    const archive = join(workspace.root, name);
    await writeFile(archive, await compress(textBytes(20_000, 'not a tar'), compression));
    expect(await detectFormat(archive)).toBeUndefined();
    const run = lastValueFrom(send(archive, { ...(await options()), minFree: 1 }));
    await expect(run).rejects.toMatchObject({ name: 'ArchiveError', archive, reason: notAnArchive });
  });

  it('refuses a large bzip2 file that holds no tar, naming the format it was taken for', async () => {
    // Its first block is larger than the head read to tell the format, so the signature decides.
    const archive = join(workspace.root, 'noise.bz2');
    await writeFile(archive, await compress(pseudoRandomBytes(300_000, 'noise'), 'tar.bz2'));
    const run = lastValueFrom(send(archive, { ...(await options()), minFree: 1 }));
    await expect(run).rejects.toMatchObject({ name: 'ArchiveError', archive, reason: expect.stringMatching(/^not a readable tar\.bz2 archive: /) });
  });

  it.each(compressions)('resumes a %s stopped part way, delivering each entry once', async (compression) => {
    const archive = join(workspace.root, `resume.${compression}`);
    await writeCompressedTar(archive, files, compression);
    let checkpoints = 0;
    await runSendUntil(archive, await options(), (step) => step.kind === 'checkpoint' && ++checkpoints === 1);
    const firstPart = await deliveredDigests(workspace.out);
    expect(firstPart.length).toBeGreaterThan(0);
    expect(firstPart.length).toBeLessThan(files.length);
    const { summary } = await runSend(archive, await options());
    expect(summary).toMatchObject({ delivered: files.length, failed: [] });
    expect(await deliveredDigests(workspace.out)).toEqual(expected);
  });
});
