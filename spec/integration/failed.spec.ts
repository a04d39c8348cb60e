import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { lastValueFrom } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { send } from '../../src/pipeline.js';
import { dirSink } from '../../src/sinks/dirSink.js';
import { notAnArchive } from '../../src/sources/archive.js';
import { runSend, stepsOf } from '../support/runSend.js';
import { jpegBytes, pseudoRandomBytes, sha256, textBytes } from '../support/sampleBytes.js';
import { tarBytes, writeTarGz } from '../support/tarFixtures.js';
import { createWorkspace, deliveredFiles, filesUnder, readAlbums, removeWorkspace, type Workspace } from '../support/workspace.js';
import { rawZip, writeRawZip } from '../support/zipFixtures.js';

const before = { name: 'before.jpg', data: jpegBytes(4_000, 'before') };
const after = { name: 'after.txt', data: textBytes(3_000, 'after') };

describe('entries that fail', () => {
  let workspace: Workspace;

  beforeEach(async () => {
    workspace = await createWorkspace();
  });

  afterEach(async () => {
    await removeWorkspace(workspace);
  });

  async function deliver(archive: string) {
    const run = await runSend(archive, { sink: await dirSink(workspace.out), state: workspace.state });
    const delivered = deliveredFiles(await readAlbums(workspace.out)).map(({ entry, sha256 }) => ({ entry, sha256 }));
    expect(await filesUnder(join(workspace.state, 'tmp'))).toEqual([]);
    return { ...run, delivered, failed: run.summary.failed.map(({ entry, reason }) => ({ entry, reason })) };
  }

  const bytesOf = (...files: { name: string; data: Buffer }[]) => files.map((file) => ({ entry: file.name, sha256: sha256(file.data) }));

  it('fails an entry whose bytes do not match its central-directory CRC-32 with reason crc-mismatch', async () => {
    const archive = join(workspace.root, 'crc.zip');
    await writeRawZip(archive, [before, { name: 'corrupt.txt', data: textBytes(2_000, 'corrupt'), centralCrc32: 0xdeadbeef }, after]);
    const { delivered, failed, summary } = await deliver(archive);
    expect(failed).toEqual([{ entry: 'corrupt.txt', reason: 'crc-mismatch' }]);
    expect(summary.failed[0]!.detail).toMatch(/deadbeef/);
    expect(delivered).toEqual(bytesOf(before, after));
  });

  it('fails an entry that inflates to more than its declared size with reason size-mismatch', async () => {
    const archive = join(workspace.root, 'longer.zip');
    await writeRawZip(archive, [before, { name: 'longer.txt', data: Buffer.alloc(10_000_000), declaredSize: 1_000 }, after]);
    const { delivered, failed } = await deliver(archive);
    expect(failed).toEqual([{ entry: 'longer.txt', reason: 'size-mismatch' }]);
    expect(delivered).toEqual(bytesOf(before, after));
  });

  it('fails an entry that inflates to less than its declared size with reason size-mismatch', async () => {
    const archive = join(workspace.root, 'shorter.zip');
    await writeRawZip(archive, [before, { name: 'shorter.txt', data: textBytes(1_000, 'shorter'), declaredSize: 1_500 }, after]);
    const { delivered, failed } = await deliver(archive);
    expect(failed).toEqual([{ entry: 'shorter.txt', reason: 'size-mismatch' }]);
    expect(delivered).toEqual(bytesOf(before, after));
  });

  it('fails a zip entry whose compressed data is cut short with reason truncated, and delivers the others', async () => {
    const archive = join(workspace.root, 'cut.zip');
    await writeRawZip(archive, [before, { name: 'cut.bin', data: pseudoRandomBytes(50_000, 'cut'), keepCompressedBytes: 20_000 }, after]);
    const { delivered, failed } = await deliver(archive);
    expect(failed).toEqual([{ entry: 'cut.bin', reason: 'truncated' }]);
    expect(delivered).toEqual(bytesOf(before, after));
  });

  it('delivers what a truncated tar.gz holds before the break and reports the rest as lost', async () => {
    const archive = join(workspace.root, 'cut.tar.gz');
    const big = { name: 'big.bin', data: pseudoRandomBytes(600_000, 'big') };
    const items = [before, after, big, { name: 'never.txt', data: textBytes(1_000, 'never') }];
    const whole = gzipSync(await tarBytes(items));
    await writeTarGz(archive, items, { truncateTo: Math.floor(whole.length / 2) });
    const { delivered, failed, steps } = await deliver(archive);
    expect(delivered).toEqual(bytesOf(before, after));
    expect(failed).toEqual([
      { entry: 'big.bin', reason: 'truncated' },
      { entry: '(the rest of the archive)', reason: 'archive-broken' },
    ]);
    expect(stepsOf(steps, 'broken')).toHaveLength(1);
  });

  it('refuses a zip cut off in the middle as a whole, writing nothing', async () => {
    const archive = join(workspace.root, 'half.zip');
    const whole = rawZip([before, after]);
    await writeFile(archive, whole.subarray(0, Math.floor(whole.length / 2)));
    const run = lastValueFrom(send(archive, { sink: await dirSink(workspace.out), state: workspace.state, minFree: 1 }));
    await expect(run).rejects.toMatchObject({ name: 'ArchiveError', archive, reason: expect.stringMatching(/end of central directory/) });
    expect(await filesUnder(workspace.out)).toEqual([]);
  });

  it.each([
    ['random bytes', pseudoRandomBytes(10_000, 'noise')],
    ['a plain text file', textBytes(10_000, 'plain')],
    ['a gzip of a file that is not a tar', gzipSync(textBytes(10_000, 'gzipped text'))],
  ])('refuses %s as not an archive', async (_, bytes) => {
    const archive = join(workspace.root, 'not-an-archive');
    await writeFile(archive, bytes);
    const run = lastValueFrom(send(archive, { sink: await dirSink(workspace.out), state: workspace.state, minFree: 1 }));
    await expect(run).rejects.toMatchObject({ name: 'ArchiveError', archive, reason: notAnArchive });
  });
});
