import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { firstValueFrom, from, lastValueFrom, tap } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ArchiveError } from '../../src/errors.js';
import { notAnArchive } from '../../src/sources/archive.js';
import { send, type SendOptions } from '../../src/pipeline.js';
import { dirSink } from '../../src/sinks/dirSink.js';
import type { Sink } from '../../src/sinks/sink.js';
import { type HttpServer, startHttpServer } from '../support/httpServer.js';
import { runSend, runSendUntil } from '../support/runSend.js';
import { jpegBytes, pseudoRandomBytes, sha256, textBytes } from '../support/sampleBytes.js';
import { writeTarGz } from '../support/tarFixtures.js';
import { createWorkspace, deliveredDigests, filesUnder, manifestOnDisk, removeWorkspace, type Workspace } from '../support/workspace.js';
import { writeZip } from '../support/zipFixtures.js';
import { dataRange, headerRange, type ZipLayout, zipLayout } from './zipLayout.js';

/** Ten photos of 150 to 300 KB and two documents: about 2.3 MB, so that 1% of it is 23 KB. */
const items = [
  ...Array.from({ length: 10 }, (_, i) => ({ name: `photos/p${i}.jpg`, data: jpegBytes(150_000 + i * 17_000, `remote-${i}`) })),
  { name: 'docs/notes.txt', data: textBytes(90_000, 'notes') },
  { name: 'docs/more.txt', data: textBytes(40_000, 'more') },
];
const expected = items.map((item) => ({ entry: item.name, sha256: sha256(item.data) })).sort((a, b) => a.entry.localeCompare(b.entry));

/** The end record is searched for in the last 64 KiB + 22 bytes. */
const endSearch = 22 + 0xffff;
/** Bytes read to tell the format. */
const formatHead = 4096;

describe('send over HTTP', () => {
  let workspace: Workspace;
  let server: HttpServer;
  let waits: number[];

  beforeEach(async () => {
    workspace = await createWorkspace();
    waits = [];
  });

  afterEach(async () => {
    await server.close();
    await removeWorkspace(workspace);
  });

  const options = async (more: Partial<SendOptions> = {}): Promise<SendOptions> => ({
    sink: await dirSink(workspace.out),
    state: workspace.state,
    minFree: 1_000_000,
    albumSize: 4,
    http: {
      wait: async (ms) => {
        waits.push(ms);
      },
    },
    ...more,
  });

  /** Writes the zip of `items` (a folder entry first), serves it, and returns its bytes and layout. */
  async function servedZip(path: string): Promise<{ bytes: Buffer; layout: ZipLayout }> {
    const file = join(workspace.root, 'served.zip');
    await writeZip(file, [{ name: 'photos/', directory: true }, ...items]);
    const bytes = await readFile(file);
    server.serve(path, bytes);
    return { bytes, layout: zipLayout(bytes) };
  }

  /**
   * The ranges that read the archive's structure rather than its entries, in the order asked: the
   * probe, the format's head, and the tail searched for the end record, which holds the whole
   * central directory of this zip.
   */
  const structureRanges = ({ size }: ZipLayout) => ['bytes=0-0', `bytes=0-${formatHead - 1}`, `bytes=${size - endSearch}-${size - 1}`];

  it('keeps at most two albums of files on disk (the one delivered and the next, read ahead) while reading a zip over ranges, and writes nothing else', async () => {
    server = await startHttpServer();
    await servedZip('/photos.zip');
    const base = await options();
    const tmp = join(workspace.state, 'tmp');
    const waiting: number[] = [];
    const sink: Sink = {
      name: base.sink.name,
      async deliver(album, signal) {
        waiting.push((await filesUnder(tmp)).length);
        return firstValueFrom(from(base.sink.deliver(album, signal)));
      },
    };
    await runSend(server.url('/photos.zip'), { ...base, sink });
    expect(waiting.length).toBeGreaterThan(2);
    // Two albums of 4: the one handed to the sink, and the next, read meanwhile.
    expect(Math.max(...waiting)).toBeLessThanOrEqual(8);
    expect(await filesUnder(tmp)).toEqual([]);
    expect((await filesUnder(workspace.state)).filter((file) => !file.startsWith('manifests/'))).toEqual([]);
    expect(await deliveredDigests(workspace.out)).toEqual(expected);
  });

  it('delivers a zip read in place over byte ranges, byte for byte, fetching its entries and directory only', async () => {
    server = await startHttpServer();
    const { layout } = await servedZip('/photos.zip');
    const run = await runSend(server.url('/photos.zip'), await options());
    expect(run.summary).toMatchObject({ source: server.url('/photos.zip'), entries: items.length + 1, delivered: items.length, directories: 1, failed: [] });
    expect(await deliveredDigests(workspace.out)).toEqual(expected);

    expect(server.log.every((request) => request.method === 'GET' && request.range !== undefined && request.status === 206)).toBe(true);
    const files = layout.entries.filter((entry) => !entry.name.endsWith('/'));
    expect(server.log.map((request) => request.range)).toEqual([...structureRanges(layout), ...files.flatMap((entry) => [headerRange(entry), dataRange(entry)])]);
    const { size, centralDirectory } = layout;
    expect(centralDirectory).toBeGreaterThanOrEqual(size - endSearch);
    const structure = 1 + formatHead + endSearch;
    const entries = files.reduce((sum, entry) => sum + 30 + entry.compressedSize, 0);
    expect(server.bytesSent()).toBe(structure + entries);
    expect(server.bytesSent()).toBeLessThanOrEqual(1.01 * size + structure);
    expect(existsSync(join(workspace.state, 'downloads'))).toBe(false);
  });

  it('records the address without its query string, the validators and no mtime in the manifest', async () => {
    server = await startHttpServer();
    await servedZip('/photos.zip');
    await runSend(server.url('/photos.zip?token=secret'), await options());
    const { archive } = manifestOnDisk(workspace.state);
    expect(archive).toMatchObject({ source: `${server.url('/photos.zip')}?…`, path: server.url('/photos.zip'), mtimeMs: 0, format: 'zip' });
    expect((archive as unknown as { validators: unknown }).validators).toEqual({ etag: expect.stringMatching(/^"/), lastModified: expect.any(String) });
    expect(JSON.stringify(archive)).not.toContain('secret');
  });

  it('resumes by asking only for the ranges of the entries not yet delivered', async () => {
    server = await startHttpServer();
    const { layout } = await servedZip('/photos.zip');
    let checkpoints = 0;
    await runSendUntil(server.url('/photos.zip?token=one'), await options({ albumSize: 3 }), (step) => step.kind === 'checkpoint' && ++checkpoints === 2);
    const delivered = new Set((manifestOnDisk(workspace.state)).delivered.flatMap(([first, last]) => Array.from({ length: last - first + 1 }, (_, i) => first + i)));
    expect(delivered.size).toBe(6);

    server.log.length = 0;
    // A renewed token is the same archive: the address without its query string is the key.
    const second = await runSend(server.url('/photos.zip?token=two'), await options({ albumSize: 3 }));
    expect(second.summary).toMatchObject({ delivered: items.length, failed: [] });
    const remaining = layout.entries.filter((entry) => !entry.name.endsWith('/') && !delivered.has(entry.index));
    expect(remaining).toHaveLength(items.length - 6);
    expect(server.log.map((request) => request.range)).toEqual([...structureRanges(layout), ...remaining.flatMap((entry) => [headerRange(entry), dataRange(entry)])]);
    expect(await deliveredDigests(workspace.out)).toEqual(expected);
  });

  it('picks up a connection dropped inside an entry from the byte where it broke', async () => {
    server = await startHttpServer();
    const { layout } = await servedZip('/photos.zip');
    const target = layout.entries.find((entry) => entry.name === 'photos/p2.jpg')!;
    server.fault({ dropAfter: 70_000 }, (request) => request.range === dataRange(target));
    const run = await runSend(server.url('/photos.zip'), await options());
    expect(run.summary).toMatchObject({ delivered: items.length, failed: [] });
    expect(await deliveredDigests(workspace.out)).toEqual(expected);
    const dropped = server.log.findIndex((request) => request.range === dataRange(target));
    expect(server.log[dropped]!.bytesSent).toBe(70_000);
    expect(server.log[dropped + 1]!.range).toBe(`bytes=${target.dataStart + 70_000}-${target.dataStart + target.compressedSize - 1}`);
    expect(waits).toEqual([1000]);
  });

  it('waits out 429 and 503 answers for as long as Retry-After asks', async () => {
    server = await startHttpServer();
    const { layout } = await servedZip('/photos.zip');
    const target = layout.entries.find((entry) => entry.name === 'photos/p4.jpg')!;
    const isTarget = (request: { range: string | undefined }) => request.range === dataRange(target);
    server.fault({ status: 429, headers: { 'retry-after': '3' } }, isTarget);
    server.fault({ status: 503, headers: { 'retry-after': '20' } }, isTarget);
    const run = await runSend(server.url('/photos.zip'), await options());
    expect(run.summary).toMatchObject({ delivered: items.length, failed: [] });
    expect(await deliveredDigests(workspace.out)).toEqual(expected);
    expect(waits).toEqual([3000, 20_000]);
    expect(server.log.filter(isTarget).map((request) => request.status)).toEqual([429, 503, 206]);
  });

  it('stops with "changed while being read" when the file changes part way, delivering nothing corrupt', async () => {
    server = await startHttpServer();
    const { bytes, layout } = await servedZip('/photos.zip');
    const target = layout.entries.find((entry) => entry.name === 'photos/p5.jpg')!;
    server.onRequest((request) => {
      if (request.range === headerRange(target)) server.serve('/photos.zip', pseudoRandomBytes(bytes.length, 'replaced'));
    });
    const failure = runSend(server.url('/photos.zip?token=secret'), await options({ albumSize: 2 }));
    const name = `${server.url('/photos.zip')}?…`;
    // A run that fails has let go of its lock before it says so.
    await expect(failure).rejects.toThrow(new ArchiveError(name, `the file at ${name} changed while being read`));
    const delivered = await deliveredDigests(workspace.out);
    expect(delivered.map((file) => file.entry)).toEqual(['photos/p0.jpg', 'photos/p1.jpg', 'photos/p2.jpg', 'photos/p3.jpg']);
    expect(delivered).toEqual(expected.filter((file) => delivered.some((other) => other.entry === file.entry)));
    // The entry being read is abandoned, not recorded as failed: the next run reads it again.
    expect((manifestOnDisk(workspace.state)).outcomes).toEqual({ 0: expect.objectContaining({ reason: 'directory' }) });
    expect(await filesUnder(join(workspace.state, 'tmp'))).toEqual([]);
  });

  it('fails with an ArchiveError, not a crash, when the central directory cannot be read', async () => {
    server = await startHttpServer();
    const { layout } = await servedZip('/photos.zip');
    // This zip's central directory is read with its end record, in the tail searched for it.
    expect(layout.centralDirectory).toBeGreaterThanOrEqual(layout.size - endSearch);
    server.fault({ status: 410 }, (request) => request.range === `bytes=${layout.size - endSearch}-${layout.size - 1}`);
    const name = server.url('/photos.zip');
    await expect(runSend(name, await options())).rejects.toThrow(new ArchiveError(name, `cannot read: HTTP 410 Gone from ${name}`));
    expect(waits).toEqual([]);
  });

  it('reads a tar.gz over byte ranges in one pass from the start', async () => {
    server = await startHttpServer();
    const bytes = await writeTarGz(join(workspace.root, 'served.tar.gz'), items);
    server.serve('/backup.tar.gz', bytes);
    const run = await runSend(server.url('/backup.tar.gz'), await options());
    expect(run.summary).toMatchObject({ entries: null, delivered: items.length, failed: [] });
    expect(await deliveredDigests(workspace.out)).toEqual(expected);
    expect(server.log.map((request) => `${request.range} ${request.status}`)).toEqual([
      'bytes=0-0 206',
      `bytes=0-${formatHead - 1} 206`,
      'bytes=0-65535 206',
      `bytes=0-${bytes.length - 1} 206`,
    ]);
  });

  describe('from a server without byte ranges', () => {
    it('downloads a zip into <state>/downloads, delivers it, and deletes the copy', async () => {
      server = await startHttpServer({ ranges: false });
      const { bytes } = await servedZip('/photos.zip');
      const downloads = join(workspace.state, 'downloads');
      const seen: string[][] = [];
      const steps = send(server.url('/photos.zip?token=secret'), await options()).pipe(
        tap((step) => {
          if (step.kind === 'opened') seen.push(readdirSync(downloads));
        }),
      );
      await lastValueFrom(steps);
      expect(seen).toEqual([[expect.stringMatching(/^[0-9a-f]{16}\.zip$/)]]);
      expect(readdirSync(downloads)).toEqual([]);
      expect(await deliveredDigests(workspace.out)).toEqual(expected);
      // The probe's answer is read on into the copy: one request, each byte once.
      expect(server.log.map((request) => `${request.range ?? '-'} ${request.status}`)).toEqual(['bytes=0-0 200']);
      expect(server.bytesSent()).toBe(bytes.length);
    });

    it('refuses at once a zip download that could not fit even on the empty volume, saying how much it needs', async () => {
      server = await startHttpServer({ ranges: false });
      const { bytes } = await servedZip('/photos.zip');
      const probe = async () => ({ free: 10_000, size: bytes.length });
      const error = await lastValueFrom(send(server.url('/photos.zip'), await options({ probe }))).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ArchiveError);
      expect((error as ArchiveError).reason).toMatch(/must be downloaded before it is read: that needs .* free \(.* plus --min-free 1\.0 MB\), more than the whole volume holds/);
      expect(server.log.map((request) => request.range ?? '-')).toEqual(['bytes=0-0']);
      expect(await filesUnder(workspace.out)).toEqual([]);
    });

    it('waits for room before downloading a zip, checking again as the free-space gate does', async () => {
      server = await startHttpServer({ ranges: false });
      const { bytes } = await servedZip('/photos.zip');
      const answers = [0, 0, 10 * bytes.length];
      const probes: number[] = [];
      const probe = async () => {
        probes.push(server.log.length);
        return { free: answers.shift() ?? 10 * bytes.length, size: 100 * bytes.length + 10_000_000 };
      };
      await lastValueFrom(send(server.url('/photos.zip'), await options({ probe, recheckEvery: 5 })));
      // Three checks before the download (which reads on with the probe's answer), and it waited for the third.
      expect(probes.slice(0, 3)).toEqual([1, 1, 1]);
      expect(await deliveredDigests(workspace.out)).toEqual(expected);
    });

    it('streams a tar.gz from the start without writing it anywhere', async () => {
      server = await startHttpServer({ ranges: false });
      const bytes = await writeTarGz(join(workspace.root, 'served.tar.gz'), items);
      server.serve('/backup.tar.gz', bytes);
      const seen: boolean[] = [];
      const steps = send(server.url('/backup.tar.gz'), await options()).pipe(
        tap((step) => {
          if (step.kind === 'opened') seen.push(existsSync(join(workspace.state, 'downloads')));
        }),
      );
      await lastValueFrom(steps);
      expect(seen).toEqual([false]);
      expect(await deliveredDigests(workspace.out)).toEqual(expected);
      expect((await filesUnder(workspace.state)).filter((file) => !file.startsWith('manifests/'))).toEqual([]);
    });

    it('fetches a tar.gz once: one request, the probe\'s, carrying exactly the archive\'s bytes', async () => {
      server = await startHttpServer({ ranges: false });
      const bytes = await writeTarGz(join(workspace.root, 'served.tar.gz'), items);
      server.serve('/backup.tar.gz', bytes);
      const run = await runSend(server.url('/backup.tar.gz'), await options());
      expect(run.summary).toMatchObject({ delivered: items.length, failed: [] });
      expect(await deliveredDigests(workspace.out)).toEqual(expected);
      expect(server.log.map((request) => `${request.range ?? '-'} ${request.status}`)).toEqual(['bytes=0-0 200']);
      expect(server.bytesSent()).toBe(bytes.length);
      expect(server.log[0]!.closedEarly).toBe(false);
    });

    it('asks for a tar.gz again when its connection drops mid-body, If-Match its ETag, and delivers every entry once', async () => {
      server = await startHttpServer({ ranges: false });
      const bytes = await writeTarGz(join(workspace.root, 'served.tar.gz'), items);
      server.serve('/backup.tar.gz', bytes);
      const cut = Math.floor(bytes.length / 2);
      server.fault({ dropAfter: cut });
      const base = await options();
      const delivered: string[] = [];
      const sink: Sink = {
        name: base.sink.name,
        async deliver(album, signal) {
          delivered.push(...album.files.map((file) => file.entry.name));
          return firstValueFrom(from(base.sink.deliver(album, signal)));
        },
      };
      const run = await runSend(server.url('/backup.tar.gz'), { ...base, sink });
      expect(run.summary).toMatchObject({ delivered: items.length, failed: [] });
      expect(delivered.sort()).toEqual(items.map((item) => item.name).sort());
      expect(await deliveredDigests(workspace.out)).toEqual(expected);
      expect(server.log.map((request) => `${request.range ?? '-'} ${request.status}`)).toEqual(['bytes=0-0 200', '- 200']);
      // The second asks for the version the first answer was (version 1 of the file).
      expect(server.log.map((request) => request.ifMatch)).toEqual([undefined, expect.stringMatching(/^"[0-9a-f]{16}-1"$/)]);
      expect(server.log.map((request) => request.bytesSent)).toEqual([cut, bytes.length]);
      expect(waits).toEqual([1000]);
    });

    it('lets go of the probe\'s answer when the file is not an archive', async () => {
      server = await startHttpServer({ ranges: false });
      // More than the socket buffers and undici hold, so that the server is still sending.
      server.serve('/mystery.bin', Buffer.alloc(64 * 1024 * 1024, 7));
      const name = server.url('/mystery.bin');
      await expect(runSend(name, await options())).rejects.toThrow(new ArchiveError(name, notAnArchive));
      await expect.poll(() => server.log[0]!.closedEarly, { timeout: 5000 }).toBe(true);
      expect(server.log).toHaveLength(1);
    });
  });

  it('refuses a different archive served at the same address on the next run', async () => {
    server = await startHttpServer();
    await servedZip('/photos.zip');
    await runSendUntil(server.url('/photos.zip'), await options(), (step) => step.kind === 'checkpoint');
    const other = join(workspace.root, 'other.zip');
    await writeZip(other, items.slice(0, 3));
    server.serve('/photos.zip', await readFile(other));
    await expect(runSend(server.url('/photos.zip'), await options())).rejects.toThrow(/not the archive that was being delivered/);
  });
});
