import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { notAnArchive } from '../../src/sources/archive.js';
import { dirSink } from '../../src/sinks/dirSink.js';
import { compress, type Compression, gnuTar, writeCompressedTar } from '../support/compressedTars.js';
import { type HttpServer, startHttpServer } from '../support/httpServer.js';
import { runCli, sendArgs } from '../support/runCli.js';
import { runSend } from '../support/runSend.js';
import { jpegBytes, pseudoRandomBytes, sha256, textBytes } from '../support/sampleBytes.js';
import { createWorkspace, deliveredDigests, filesUnder, removeWorkspace, type Workspace } from '../support/workspace.js';

const files = [
  ...Array.from({ length: 6 }, (_, i) => ({ name: `photos/p${i}.jpg`, data: jpegBytes(80_000 + i * 9_000, `remote-compressed-${i}`) })),
  { name: 'docs/notes.txt', data: textBytes(120_000, 'notes') },
];
const digests = (list: readonly { name: string; data: Uint8Array }[]) => list.map((file) => ({ entry: file.name, sha256: sha256(file.data) })).sort((a, b) => a.entry.localeCompare(b.entry));
const expected = digests(files);
const compressions: Compression[] = ['tar.xz', 'tar.bz2', 'tar.zst'];

describe('tar.xz, tar.bz2 and tar.zst over HTTP and from the CLI', () => {
  let workspace: Workspace;
  let server: HttpServer | undefined;

  beforeEach(async () => {
    workspace = await createWorkspace();
  });

  afterEach(async () => {
    await server?.close();
    server = undefined;
    await removeWorkspace(workspace);
  });

  it.each(compressions)('streams a %s from a server without byte ranges with one request, carrying exactly its bytes', async (compression) => {
    server = await startHttpServer({ ranges: false });
    const bytes = await writeCompressedTar(join(workspace.root, 'served'), files, compression);
    // Served under a name that says nothing: the format comes from the bytes.
    server.serve('/download', bytes);
    const { summary } = await runSend(server.url('/download'), { sink: await dirSink(workspace.out), state: workspace.state, albumSize: 3 });
    expect(summary).toMatchObject({ delivered: files.length, failed: [] });
    expect(await deliveredDigests(workspace.out)).toEqual(expected);
    // The probe's answer is read on: the format is told from its first bytes, and the rest follows.
    expect(server.log.map((request) => `${request.range ?? '-'} ${request.status}`)).toEqual(['bytes=0-0 200']);
    expect(server.bytesSent()).toBe(bytes.length);
    expect((await filesUnder(workspace.state)).filter((file) => !file.startsWith('manifests/'))).toEqual([]);
  });

  it.each(compressions)('sends a %s from the CLI, exiting 0', async (compression) => {
    const archive = join(workspace.root, `backup.${compression}`);
    await writeCompressedTar(archive, files, compression);
    const result = await runCli(sendArgs(archive, workspace.out, workspace.state));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(await deliveredDigests(workspace.out)).toEqual(expected);
  });

  it.each(compressions)('exits 1 for a truncated %s, delivering what came before the break', async (compression) => {
    const before = files.slice(0, 3);
    const whole = await compress(await gnuTar([...before, { name: 'big.bin', data: pseudoRandomBytes(500_000, 'big') }, files[6]!]), compression, {
      compressorArgs: compression === 'tar.bz2' ? ['-1'] : [],
    });
    const archive = join(workspace.root, `cut.${compression}`);
    await writeFile(archive, whole.subarray(0, Math.floor(whole.length * 0.75)));
    const result = await runCli(sendArgs(archive, workspace.out, workspace.state));
    expect(result.code).toBe(1);
    expect(await deliveredDigests(workspace.out)).toEqual(digests(before));
    expect(result.summary?.failed.map((item) => item.reason)).toEqual(['truncated', 'archive-broken']);
    expect(result.stderr).toMatch(new RegExp(`^unspool: ${archive}: the archive breaks after entry 3: `, 'm'));
  });

  it.each(compressions)('exits 3 for a %s that holds no tar, saying it is not an archive', async (compression) => {
    const archive = join(workspace.root, 'mystery.bin');
    await writeFile(archive, await compress(textBytes(8_000, 'no tar here'), compression));
    const result = await runCli(sendArgs(archive, workspace.out, workspace.state));
    expect(result.code).toBe(3);
    expect(result.stderr).toBe(`unspool: ${archive}: ${notAnArchive}\n`);
  });
});
