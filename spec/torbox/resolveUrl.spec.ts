import type { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openHttpSource } from '../../src/sources/http/httpSource.js';
import { type HttpServer, type LoggedRequest, startHttpServer } from '../support/httpServer.js';
import { pseudoRandomBytes, sha256 } from '../support/sampleBytes.js';

const file = pseudoRandomBytes(300_000, 'renewed-link');

async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const requestsOf = (log: readonly LoggedRequest[]) => log.map((request) => `${request.url} ${request.range ?? '-'} ${request.status}`);

describe('openHttpSource with resolveUrl (a link that expires)', () => {
  let server: HttpServer;
  let waits: number[];
  let issued: number;
  let expired: Set<string>;
  const wait = async (ms: number) => void waits.push(ms);
  /** A fresh link each call, as an API hands them out: same file, another token. */
  const resolveUrl = async () => server.url(`/file.bin?token=t${++issued}`);

  beforeEach(async () => {
    waits = [];
    issued = 0;
    expired = new Set();
    server = await startHttpServer();
    server.serve('/file.bin', file);
    server.fault({ status: 403 }, (request) => expired.has(new URL(request.url, 'http://x').searchParams.get('token') ?? ''), Infinity);
  });

  afterEach(async () => {
    await server.close();
  });

  it('asks for a fresh link when the link answers 403 itself, and reads on with it', async () => {
    const source = await openHttpSource(await resolveUrl(), { wait, resolveUrl });
    expired.add('t1');
    expect(sha256(await bytesOf(source.stream(1000, 5000)))).toBe(sha256(file.subarray(1000, 6000)));
    expect(requestsOf(server.log)).toEqual(['/file.bin?token=t1 bytes=0-0 206', '/file.bin?token=t1 bytes=1000-5999 403', '/file.bin?token=t2 bytes=1000-5999 206']);
    expect(waits).toEqual([1000]);
  });

  it('asks once for a link that several reads find expired at the same time', async () => {
    const source = await openHttpSource(await resolveUrl(), { wait, resolveUrl });
    expired.add('t1');
    const [a, b] = await Promise.all([bytesOf(source.stream(0, 10_000)), bytesOf(source.stream(200_000, 10_000))]);
    expect([sha256(a), sha256(b)]).toEqual([sha256(file.subarray(0, 10_000)), sha256(file.subarray(200_000, 210_000))]);
    expect(issued).toBe(2);
  });

  it('without resolveUrl, a link that answers 403 itself fails at once, as before', async () => {
    const source = await openHttpSource(await resolveUrl(), { wait });
    expired.add('t1');
    const failure = await bytesOf(source.stream(0, 100)).catch((error: Error) => error);
    expect((failure as Error).message).toBe(`HTTP 403 Forbidden from ${server.url('/file.bin')}?…`);
    expect(issued).toBe(1);
  });

  it('ends the read with what resolveUrl throws, at once', async () => {
    const refused = new Error('the API refused the key');
    let calls = 0;
    const source = await openHttpSource(server.url('/file.bin?token=t1'), {
      wait,
      resolveUrl: async () => {
        calls += 1;
        throw refused;
      },
    });
    expired.add('t1');
    const fatal: Error[] = [];
    source.onFatal((error) => fatal.push(error));
    await expect(bytesOf(source.stream(0, 100))).rejects.toBe(refused);
    expect(fatal).toEqual([refused]);
    expect(calls).toBe(1);
    expect(waits).toEqual([]);
  });

  it('refuses a fresh link that is not an http(s) address, without printing its query', async () => {
    const source = await openHttpSource(server.url('/file.bin?token=t1'), { wait, resolveUrl: async () => 'ftp://cdn.example/file.bin?token=secret' });
    expired.add('t1');
    await expect(bytesOf(source.stream(0, 100))).rejects.toThrow('not an http(s) address: ftp://cdn.example/file.bin?…');
  });
});
