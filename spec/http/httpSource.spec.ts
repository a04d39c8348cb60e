import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import type { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { downloadToFile } from '../../src/sources/http/downloadToFile.js';
import { HttpSourceError, RemoteFileChangedError } from '../../src/sources/http/httpSourceError.js';
import { openHttpSource } from '../../src/sources/http/httpSource.js';
import { openHttpStream } from '../../src/sources/http/httpStream.js';
import { type HttpServer, type LoggedRequest, startHttpServer } from '../support/httpServer.js';
import { pseudoRandomBytes, sha256 } from '../support/sampleBytes.js';

const file = pseudoRandomBytes(300_000, 'http-source');

async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The requests after the probe, as `METHOD path range`. */
const requestsOf = (log: readonly LoggedRequest[]) => log.map((request) => `${request.method} ${request.url} ${request.range ?? '-'} ${request.status}`);

describe('openHttpSource', () => {
  let server: HttpServer;
  let waits: number[];
  const wait = async (ms: number) => {
    waits.push(ms);
  };

  beforeEach(() => {
    waits = [];
  });

  afterEach(async () => {
    await server.close();
  });

  it('probes with a ranged GET (never HEAD) and reads a span with exactly one ranged GET', async () => {
    server = await startHttpServer();
    server.serve('/a.bin', file);
    const source = await openHttpSource(server.url('/a.bin'), { wait });
    expect(source.ranged).toBe(true);
    expect(await source.size()).toBe(file.length);
    expect(sha256(await bytesOf(source.stream(1000, 5000)))).toBe(sha256(file.subarray(1000, 6000)));
    expect(requestsOf(server.log)).toEqual(['GET /a.bin bytes=0-0 206', 'GET /a.bin bytes=1000-5999 206']);
    expect(server.log[1]!.ifMatch).toBe(source.etag);
    expect(source.bytesFetched).toBe(5001);
    expect(server.bytesSent()).toBe(5001);
  });

  it('reads to the end of the file when no length is given, and nothing past it', async () => {
    server = await startHttpServer();
    server.serve('/a.bin', file);
    const source = await openHttpSource(server.url('/a.bin'), { wait });
    expect(sha256(await bytesOf(source.stream(299_000)))).toBe(sha256(file.subarray(299_000)));
    expect(sha256(await bytesOf(source.stream(299_900, 1000)))).toBe(sha256(file.subarray(299_900)));
    expect(sha256(await bytesOf(source.stream(300_000, 10)))).toBe(sha256(Buffer.alloc(0)));
    expect(requestsOf(server.log).slice(1)).toEqual(['GET /a.bin bytes=299000-299999 206', 'GET /a.bin bytes=299900-299999 206']);
  });

  it('picks up a dropped connection with a range from the first byte not delivered', async () => {
    server = await startHttpServer();
    server.serve('/a.bin', file);
    server.fault({ dropAfter: 100_000 }, (request) => request.range === 'bytes=0-299999');
    const source = await openHttpSource(server.url('/a.bin'), { wait });
    expect(sha256(await bytesOf(source.stream(0, 300_000)))).toBe(sha256(file));
    const [, dropped, resumed] = server.log;
    expect(dropped!.bytesSent).toBe(100_000);
    expect(resumed!.range).toBe('bytes=100000-299999');
    expect(waits).toEqual([1000]);
    expect(source.bytesFetched).toBe(1 + 300_000);
  });

  it('waits as long as Retry-After asks, in seconds or as an HTTP date', async () => {
    server = await startHttpServer();
    server.serve('/a.bin', file);
    const isRead = (request: LoggedRequest) => request.range === 'bytes=10-19';
    server.fault({ status: 429, headers: { 'retry-after': '7' } }, isRead);
    server.fault({ status: 503, headers: { 'retry-after': new Date(Date.now() + 30_000).toUTCString() } }, isRead);
    const source = await openHttpSource(server.url('/a.bin'), { wait });
    expect(sha256(await bytesOf(source.stream(10, 10)))).toBe(sha256(file.subarray(10, 20)));
    expect(waits[0]).toBe(7000);
    expect(waits[1]).toBeGreaterThan(27_000);
    expect(waits[1]).toBeLessThanOrEqual(30_000);
    expect(requestsOf(server.log).slice(1)).toEqual(['GET /a.bin bytes=10-19 429', 'GET /a.bin bytes=10-19 503', 'GET /a.bin bytes=10-19 206']);
  });

  it('gives up after 5 failures in a row, waiting 1 s, 2 s, 4 s and 8 s between them', async () => {
    server = await startHttpServer();
    server.serve('/a.bin', file);
    server.fault({ status: 503 }, (request) => request.range === 'bytes=0-99', 10);
    const source = await openHttpSource(server.url('/a.bin?token=secret'), { wait });
    const failure = bytesOf(source.stream(0, 100));
    await expect(failure).rejects.toThrow(
      new HttpSourceError(`HTTP 503 Service Unavailable from ${server.url('/a.bin')}?… (gave up after 5 attempts)`, { status: 503 }),
    );
    expect(waits).toEqual([1000, 2000, 4000, 8000]);
  });

  it('retries the probe too, and fails a 404 at once with the status and the address redacted', async () => {
    server = await startHttpServer();
    server.serve('/a.bin', file);
    server.fault({ status: 502 });
    expect((await openHttpSource(server.url('/a.bin'), { wait })).ranged).toBe(true);
    expect(waits).toEqual([1000]);
    const missing = openHttpSource(server.url('/missing.zip?token=secret'), { wait });
    await expect(missing).rejects.toThrow(`HTTP 404 Not Found from ${server.url('/missing.zip')}?…`);
    await expect(missing).rejects.toMatchObject({ status: 404 });
    expect(waits).toEqual([1000]);
  });

  it('refuses bytes of a file that changed: the server answers 412 to If-Match', async () => {
    server = await startHttpServer();
    server.serve('/a.bin', file);
    const source = await openHttpSource(server.url('/a.bin?sig=secret'), { wait });
    const fatal: Error[] = [];
    source.onFatal((error) => fatal.push(error));
    server.serve('/a.bin', pseudoRandomBytes(file.length, 'another version'));
    const read = bytesOf(source.stream(0, 1000));
    await expect(read).rejects.toThrow(new RemoteFileChangedError(server.url('/a.bin?sig=secret')));
    await expect(read).rejects.toThrow(`the file at ${server.url('/a.bin')}?… changed while being read`);
    expect(fatal).toHaveLength(1);
    expect(server.log.at(-1)!.status).toBe(412);
    expect(server.log.at(-1)!.bytesSent).toBe(0);
    expect(waits).toEqual([]);
  });

  it('refuses bytes of a file that changed from a server that ignores conditional requests', async () => {
    server = await startHttpServer({ ignoreConditionals: true });
    server.serve('/a.bin', file);
    const source = await openHttpSource(server.url('/a.bin'), { wait });
    server.serve('/a.bin', pseudoRandomBytes(file.length, 'another version'));
    await expect(bytesOf(source.stream(0, 1000))).rejects.toBeInstanceOf(RemoteFileChangedError);
    server.serve('/b.bin', file);
    const other = await openHttpSource(server.url('/b.bin'), { wait });
    server.serve('/b.bin', file.subarray(0, 1000));
    await expect(bytesOf(other.stream(0, 500))).rejects.toBeInstanceOf(RemoteFileChangedError);
  });

  it('follows redirects, then sends every range straight to the final address', async () => {
    server = await startHttpServer();
    server.serve('/files/a.bin', file);
    server.redirect('/a', '/b?hop=1');
    server.redirect('/b', server.url('/files/a.bin?sig=signed'), 307);
    const source = await openHttpSource(server.url('/a?token=secret'), { wait });
    expect(sha256(await bytesOf(source.stream(5, 5)))).toBe(sha256(file.subarray(5, 10)));
    expect(requestsOf(server.log)).toEqual([
      'GET /a?token=secret bytes=0-0 302',
      'GET /b?hop=1 bytes=0-0 307',
      'GET /files/a.bin?sig=signed bytes=0-0 206',
      'GET /files/a.bin?sig=signed bytes=5-9 206',
    ]);
  });

  it('asks the address as given again when the redirect target stops answering (an expired signed link)', async () => {
    server = await startHttpServer();
    server.serve('/files/a.bin', file);
    server.redirect('/a', '/files/a.bin?expires=soon');
    const source = await openHttpSource(server.url('/a'), { wait });
    server.fault({ status: 403 }, (request) => request.path === '/files/a.bin');
    expect(sha256(await bytesOf(source.stream(5, 5)))).toBe(sha256(file.subarray(5, 10)));
    expect(requestsOf(server.log).slice(2)).toEqual([
      'GET /files/a.bin?expires=soon bytes=5-9 403',
      'GET /a bytes=5-9 302',
      'GET /files/a.bin?expires=soon bytes=5-9 206',
    ]);
    expect(waits).toEqual([1000]);
  });

  it('follows at most 10 redirects', async () => {
    server = await startHttpServer();
    for (let hop = 0; hop < 11; hop++) server.redirect(`/r${hop}`, `/r${hop + 1}`);
    server.serve('/r11', file);
    await expect(openHttpSource(server.url('/r0?token=secret'), { wait })).rejects.toThrow(`more than 10 redirects from ${server.url('/r0')}?…`);
    expect(server.log).toHaveLength(11);
    server.log.length = 0;
    expect((await openHttpSource(server.url('/r1'), { wait })).ranged).toBe(true);
  });

  it('reports a server without ranges, reads its first 64 KiB from the probe, and reads on past them with the probe\'s own answer', async () => {
    server = await startHttpServer({ ranges: false });
    server.serve('/a.bin', file);
    const source = await openHttpSource(server.url('/a.bin'), { wait });
    expect(source.ranged).toBe(false);
    expect(source.length).toBe(file.length);
    expect(sha256(await bytesOf(source.stream(100, 4000)))).toBe(sha256(file.subarray(100, 4100)));
    expect(sha256(await bytesOf(source.stream(70_000, 1000)))).toBe(sha256(file.subarray(70_000, 71_000)));
    expect(requestsOf(server.log)).toEqual(['GET /a.bin bytes=0-0 200']);
    // The probe's answer was taken on, and let go of at byte 71 000: a read past the head asks again.
    expect(sha256(await bytesOf(source.stream(200_000)))).toBe(sha256(file.subarray(200_000)));
    expect(requestsOf(server.log)).toEqual(['GET /a.bin bytes=0-0 200', 'GET /a.bin - 200']);
  });

  it('reads a whole file from a server without ranges with one request, the probe\'s, counting each byte once', async () => {
    server = await startHttpServer({ ranges: false });
    server.serve('/a.bin', file);
    const source = await openHttpSource(server.url('/a.bin'), { wait });
    expect(sha256(await bytesOf(source.stream(0)))).toBe(sha256(file));
    expect(requestsOf(server.log)).toEqual(['GET /a.bin bytes=0-0 200']);
    expect(server.bytesSent()).toBe(file.length);
    expect(source.bytesFetched).toBe(file.length);
  });

  it('asks for the whole file again, If-Match its ETag, when the probe\'s answer drops, and drops what it delivered', async () => {
    server = await startHttpServer({ ranges: false });
    server.serve('/a.bin', file);
    server.fault({ dropAfter: 120_000 });
    const source = await openHttpSource(server.url('/a.bin'), { wait });
    expect(sha256(await bytesOf(source.stream(0)))).toBe(sha256(file));
    expect(requestsOf(server.log)).toEqual(['GET /a.bin bytes=0-0 200', 'GET /a.bin - 200']);
    expect(server.log.map((request) => request.ifMatch)).toEqual([undefined, source.etag]);
    expect(server.log.map((request) => request.bytesSent)).toEqual([120_000, file.length]);
    expect(source.bytesFetched).toBe(120_000 + file.length);
    expect(waits).toEqual([1000]);
  });

  it('refuses the rest of a file that changed after the probe\'s answer dropped, from a server that ignores conditional requests', async () => {
    server = await startHttpServer({ ranges: false, ignoreConditionals: true });
    server.serve('/a.bin', file);
    server.fault({ dropAfter: 120_000 });
    server.onRequest((request) => {
      if (server.log.length === 2) server.serve(request.path, pseudoRandomBytes(file.length, 'another version'));
    });
    const source = await openHttpSource(server.url('/a.bin'), { wait });
    await expect(bytesOf(source.stream(0))).rejects.toBeInstanceOf(RemoteFileChangedError);
  });

  it('closes the connection of the probe\'s answer on release, when no read took it on', async () => {
    server = await startHttpServer({ ranges: false });
    // More than the socket buffers and undici hold, so that the server is still sending.
    const large = Buffer.alloc(64 * 1024 * 1024, 7);
    server.serve('/large.bin', large);
    const source = await openHttpSource(server.url('/large.bin'), { wait });
    expect(server.log[0]!.closedEarly).toBe(false);
    source.release();
    await expect.poll(() => server.log[0]!.closedEarly, { timeout: 5000 }).toBe(true);
    expect(server.log[0]!.bytesSent).toBeLessThan(large.length);
    // Reading after it asks again.
    expect(sha256(await bytesOf(source.stream(large.length - 1000)))).toBe(sha256(large.subarray(large.length - 1000)));
    expect(requestsOf(server.log)).toEqual(['GET /large.bin bytes=0-0 200', 'GET /large.bin - 200']);
  });
});

describe('openHttpStream', () => {
  let server: HttpServer;
  let waits: number[];
  const wait = async (ms: number) => {
    waits.push(ms);
  };

  beforeEach(() => {
    waits = [];
  });

  afterEach(async () => {
    await server.close();
  });

  it('restarts a dropped body from the start and drops what it already delivered', async () => {
    server = await startHttpServer({ ranges: false });
    server.serve('/a.bin', file);
    server.fault({ dropAfter: 120_000 });
    const source = openHttpStream(server.url('/a.bin'), { wait });
    expect(sha256(await bytesOf(source))).toBe(sha256(file));
    expect(requestsOf(server.log)).toEqual(['GET /a.bin - 200', 'GET /a.bin - 200']);
    // The restart is conditional on the first answer's ETag (version 1 of the file).
    expect(server.log.map((request) => request.ifMatch)).toEqual([undefined, expect.stringMatching(/^"[0-9a-f]{16}-1"$/)]);
    expect(waits).toEqual([1000]);
  });

  it('refuses a restarted body from another version of the file', async () => {
    server = await startHttpServer({ ranges: false, ignoreConditionals: true });
    server.serve('/a.bin', file);
    server.fault({ dropAfter: 120_000 });
    server.onRequest((request) => {
      if (server.log.length === 2) server.serve(request.path, pseudoRandomBytes(file.length, 'another version'));
    });
    await expect(bytesOf(openHttpStream(server.url('/a.bin'), { wait }))).rejects.toBeInstanceOf(RemoteFileChangedError);
  });

  it('reads a chunked body of untold length to its end', async () => {
    server = await startHttpServer({ ranges: false, chunked: true });
    server.serve('/a.txt', Buffer.from('hello, chunked world'));
    expect(await text(openHttpStream(server.url('/a.txt'), { wait }))).toBe('hello, chunked world');
  });

  it('refuses an address that is not http(s), without printing its query', () => {
    expect(() => openHttpStream('ftp://example.org/a.zip?token=secret')).toThrow('not an http(s) address: ftp://example.org/a.zip?…');
  });

  it('refuses an address with a password, without printing it', () => {
    expect(() => openHttpStream('https://me:secret@example.org/a.zip')).toThrow(
      'a user name or password in the address is not supported: https://…@example.org/a.zip',
    );
  });
});

describe('downloadToFile', () => {
  it('copies a remote file byte for byte, restarting after a dropped connection', async () => {
    const server = await startHttpServer({ ranges: false });
    const folder = await mkdtemp(join(tmpdir(), 'unspool-download-'));
    try {
      server.serve('/a.bin', file);
      server.fault({ dropAfter: 200_000 });
      const written = await downloadToFile(server.url('/a.bin'), join(folder, 'a.bin'), { wait: async () => {} });
      expect(written).toBe(file.length);
      expect(sha256(await readFile(join(folder, 'a.bin')))).toBe(sha256(file));
      expect(server.log.map((request) => request.status)).toEqual([200, 200]);
    } finally {
      await server.close();
      await rm(folder, { recursive: true, force: true });
    }
  });
});
