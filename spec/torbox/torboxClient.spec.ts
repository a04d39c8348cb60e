import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { type TorboxClient, torboxClient, torboxClientFromEnv } from '../../src/sources/torbox/torboxClient.js';
import { TorboxError } from '../../src/sources/torbox/torboxError.js';
import type { TorboxItem } from '../../src/sources/torbox/torboxName.js';
import { type FakeTorbox, startFakeTorbox } from './fakeTorbox.js';

const torrent: TorboxItem = { kind: 'torrent', id: 1 };
const files = [
  { name: 'a.jpg', size: 10 },
  { name: 'b.jpg', size: 20 },
];

/** What a promise rejected with. */
async function failure(promise: Promise<unknown>): Promise<TorboxError> {
  try {
    await promise;
  } catch (error) {
    return error as TorboxError;
  }
  throw new Error('it did not fail');
}

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('torboxClient', () => {
  let fake: FakeTorbox;
  let waits: number[];
  let client: TorboxClient;

  const clientWith = (apiKey: string, more: { apiBase?: string; attempts?: number } = {}) =>
    torboxClient({ apiKey, apiBase: fake.apiBase, wait: async (ms) => void waits.push(ms), ...more });

  beforeEach(async () => {
    fake = await startFakeTorbox();
    waits = [];
    client = clientWith(fake.key);
    fake.add({ kind: 'torrent', id: 1, name: 'Holiday', files, bytes: Buffer.from('zip bytes') });
    fake.add({ kind: 'usenet', id: 2, name: 'backup', files: [files[0]!], bytes: Buffer.from('one file') });
    fake.add({ kind: 'webdl', id: 3, name: 'site', files: [files[1]!], bytes: Buffer.from('one file') });
  });

  afterEach(async () => {
    await fake.server.close();
  });

  it('asks requestdl for a zip of a torrent with the key as token, and gives the link', async () => {
    const link = await client.requestDownload(torrent);
    expect(link).toBe(fake.links[0]);
    const [call] = fake.calls('torrents/requestdl');
    expect(Object.fromEntries(new URL(call!.url, 'http://x').searchParams)).toEqual({ token: fake.key, torrent_id: '1', zip_link: 'true' });
  });

  it('asks for one file by file_id, with usenet_id and web_id for usenet and web downloads', async () => {
    await client.requestDownload({ kind: 'usenet', id: 2 }, 0);
    await client.requestDownload({ kind: 'webdl', id: 3 }, 0);
    const query = (endpoint: string) => Object.fromEntries(new URL(fake.calls(endpoint)[0]!.url, 'http://x').searchParams);
    expect(query('usenet/requestdl')).toEqual({ token: fake.key, usenet_id: '2', file_id: '0' });
    expect(query('webdl/requestdl')).toEqual({ token: fake.key, web_id: '3', file_id: '0' });
  });

  it('describes a download from mylist, sending the key as a Bearer header, never in the address', async () => {
    expect(await client.describe(torrent)).toEqual({
      name: 'Holiday',
      size: 30,
      finished: true,
      progress: 1,
      files: [
        { id: 0, name: 'Holiday/a.jpg', size: 10 },
        { id: 1, name: 'Holiday/b.jpg', size: 20 },
      ],
    });
    const [call] = fake.calls('torrents/mylist');
    expect(Object.fromEntries(new URL(call!.url, 'http://x').searchParams)).toEqual({ id: '1', bypass_cache: 'true' });
  });

  it.each([
    ['a refused key (BAD_TOKEN)', 'wrong-key', 'bad-key', 'Torbox refused the API key in TORBOX_API_KEY (BAD_TOKEN): copy it again from https://torbox.app/settings'],
    ['no key at all (NO_AUTH)', '', 'bad-key', 'Torbox refused the API key in TORBOX_API_KEY (NO_AUTH): copy it again from https://torbox.app/settings'],
  ])('turns %s into one line that says where to get a key', async (_, key, reason, message) => {
    const error = await failure(clientWith(key).requestDownload(torrent));
    expect(error).toBeInstanceOf(TorboxError);
    expect({ reason: error.reason, message: error.message }).toEqual({ reason, message });
    expect(waits).toEqual([]);
  });

  it('says which download Torbox does not have (ITEM_NOT_FOUND)', async () => {
    const error = await failure(client.requestDownload({ kind: 'webdl', id: 99 }, 0));
    expect({ reason: error.reason, code: error.code, status: error.status, message: error.message }).toEqual({
      reason: 'not-found',
      code: 'ITEM_NOT_FOUND',
      status: 404,
      message: 'Torbox has no web download 99 in this account (ITEM_NOT_FOUND); check the id in your Torbox downloads',
    });
  });

  it('treats a mylist answer without the download as not found', async () => {
    fake.override('torrents/mylist', { status: 200, body: JSON.stringify({ success: true, error: null, detail: 'ok', data: null }) });
    const error = await failure(client.describe({ kind: 'torrent', id: 5 }));
    expect({ reason: error.reason, message: error.message }).toEqual({
      reason: 'not-found',
      message: 'Torbox has no torrent 5 in this account; check the id in your Torbox downloads',
    });
  });

  it('says that a download is not ready yet (DOWNLOAD_NOT_CACHED)', async () => {
    fake.add({ kind: 'torrent', id: 4, name: 'Later', files, bytes: Buffer.from('x'), finished: false, progress: 0.3 });
    const error = await failure(client.requestDownload({ kind: 'torrent', id: 4 }));
    expect({ reason: error.reason, message: error.message }).toEqual({
      reason: 'not-ready',
      message: 'the torrent 4 is not ready on Torbox yet (DOWNLOAD_NOT_CACHED); run the same command again when it has finished downloading',
    });
  });

  it('waits out 429 answers for as long as Retry-After asks, then gives the link', async () => {
    fake.server.fault({ status: 429, headers: { 'retry-after': '7' } }, (request) => request.path === '/v1/api/torrents/requestdl', 2);
    expect(await client.requestDownload(torrent)).toBe(fake.links[0]);
    expect(waits).toEqual([7000, 7000]);
    expect(fake.calls('torrents/requestdl').map((call) => call.status)).toEqual([429, 429, 200]);
  });

  it('ends a call at once when its signal aborts in a Retry-After, asking nothing more', async () => {
    fake.server.fault({ status: 429, headers: { 'retry-after': '30' } }, (request) => request.path === '/v1/api/torrents/mylist', Infinity);
    const realClient = torboxClient({ apiKey: fake.key, apiBase: fake.apiBase });
    const stop = new AbortController();
    const call = realClient.describe(torrent, stop.signal);
    await vi.waitFor(() => expect(fake.calls('torrents/mylist')).not.toHaveLength(0), { timeout: 5_000, interval: 5 });
    const start = performance.now();
    stop.abort();
    const error = await failure(call);
    expect(performance.now() - start).toBeLessThan(100);
    expect((error as Error).name).toBe('AbortError');
    expect(fake.calls('torrents/mylist')).toHaveLength(1);
  });

  it('gives up on 429 after the attempts with one line saying to wait', async () => {
    fake.server.fault({ status: 429, headers: { 'retry-after': '3' } }, (request) => request.path === '/v1/api/torrents/mylist', Infinity);
    const error = await failure(client.describe(torrent));
    expect({ reason: error.reason, status: error.status, message: error.message }).toEqual({
      reason: 'rate-limited',
      status: 429,
      message: 'Torbox is limiting how often it may be asked (HTTP 429) and still was after 5 attempts; wait a few minutes and run the same command again',
    });
    expect(waits).toEqual([3000, 3000, 3000, 3000]);
  });

  it('retries Torbox failing (5xx, *_ERROR) with backoff', async () => {
    fake.override('torrents/requestdl', { status: 500, body: JSON.stringify({ success: false, error: 'DATABASE_ERROR', detail: 'Could not reach the database.', data: null }) });
    fake.override('torrents/requestdl', { status: 502, body: 'bad gateway' });
    expect(await client.requestDownload(torrent)).toBe(fake.links[0]);
    expect(waits).toEqual([1000, 2000]);
  });

  it('passes on Torbox\'s own words for other refusals, without retrying', async () => {
    fake.override('torrents/requestdl', { status: 400, body: JSON.stringify({ success: false, error: 'PLAN_RESTRICTED_FEATURE', detail: 'Your plan does not allow this.', data: null }) });
    const error = await failure(client.requestDownload(torrent));
    expect({ reason: error.reason, message: error.message }).toEqual({
      reason: 'refused',
      message: 'Torbox refused the torrent 1: Your plan does not allow this. (PLAN_RESTRICTED_FEATURE)',
    });
    expect(waits).toEqual([]);
  });

  it('says when the base address does not answer as the Torbox API does', async () => {
    fake.override('torrents/mylist', { status: 200, headers: { 'content-type': 'text/html' }, body: '<html>a login page</html>' });
    const error = await failure(client.describe(torrent));
    expect({ reason: error.reason, message: error.message }).toEqual({
      reason: 'unavailable',
      message: `${fake.apiBase} did not answer as the Torbox API does (HTTP 200); check TORBOX_API_BASE`,
    });
  });

  it('cannot reach Torbox: retries, then one line with neither the key nor the query string', async () => {
    const port = await closedPort();
    const error = await failure(clientWith(fake.key, { apiBase: `http://127.0.0.1:${port}`, attempts: 3 }).requestDownload(torrent));
    expect(error.reason).toBe('unavailable');
    expect(error.message).toMatch(new RegExp(`^cannot reach Torbox at http://127\\.0\\.0\\.1:${port} \\(.*ECONNREFUSED.*\\) after 3 attempts; check the connection and try again$`));
    expect(error.message).not.toContain(fake.key);
    expect(waits).toEqual([1000, 2000]);
  });

  it('cuts the key out of whatever Torbox says', async () => {
    fake.override('torrents/requestdl', { status: 400, body: JSON.stringify({ success: false, error: 'INVALID_OPTION', detail: `token ${fake.key} cannot do that`, data: null }) });
    const error = await failure(client.requestDownload(torrent));
    expect(error.message).toBe('Torbox refused the torrent 1: token … cannot do that (INVALID_OPTION)');
  });

  describe('from the environment', () => {
    it.each([{}, { TORBOX_API_KEY: '' }, { TORBOX_API_KEY: '  ' }])('needs TORBOX_API_KEY and says where to get it (%j)', (env) => {
      let error: unknown;
      try {
        torboxClientFromEnv(env);
      } catch (thrown) {
        error = thrown;
      }
      expect(error).toBeInstanceOf(TorboxError);
      expect((error as TorboxError).reason).toBe('no-key');
      expect((error as TorboxError).message).toBe('TORBOX_API_KEY is not set: copy your API key from https://torbox.app/settings and set TORBOX_API_KEY in the environment');
    });

    it('reads the key and TORBOX_API_BASE', async () => {
      const fromEnv = torboxClientFromEnv({ TORBOX_API_KEY: ` ${fake.key} `, TORBOX_API_BASE: fake.apiBase });
      expect(await fromEnv.requestDownload(torrent)).toBe(fake.links[0]);
    });

    it('refuses a TORBOX_API_BASE that is not an http(s) address', () => {
      expect(() => torboxClientFromEnv({ TORBOX_API_KEY: 'k', TORBOX_API_BASE: 'ftp://x' })).toThrow(
        new ConfigError('TORBOX_API_BASE is not an http(s) address; leave it unset for https://api.torbox.app'),
      );
    });
  });
});
