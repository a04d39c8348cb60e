import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ArchiveError, ConfigError } from '../../src/errors.js';
import type { SendOptions } from '../../src/pipeline.js';
import { dirSink } from '../../src/sinks/dirSink.js';
import { torboxClient } from '../../src/sources/torbox/torboxClient.js';
import { redactUrl } from '../../src/sources/http/redactUrl.js';
import { dataRange, headerRange, type ZipLayout, zipLayout } from '../http/zipLayout.js';
import { runSend, runSendUntil } from '../support/runSend.js';
import { jpegBytes, sha256, textBytes } from '../support/sampleBytes.js';
import { writeTarGz } from '../support/tarFixtures.js';
import { createWorkspace, deliveredDigests, filesUnder, manifestOnDisk, removeWorkspace, type Workspace } from '../support/workspace.js';
import { writeZip } from '../support/zipFixtures.js';
import { type Expiry, type FakeTorbox, startFakeTorbox } from './fakeTorbox.js';

/** Ten photos of 150 to 300 KB and two documents, as a torrent of twelve files. */
const items = [
  ...Array.from({ length: 10 }, (_, i) => ({ name: `photos/p${i}.jpg`, data: jpegBytes(150_000 + i * 17_000, `torbox-${i}`) })),
  { name: 'docs/notes.txt', data: textBytes(90_000, 'notes') },
  { name: 'docs/more.txt', data: textBytes(40_000, 'more') },
];
const expected = items.map((item) => ({ entry: item.name, sha256: sha256(item.data) })).sort((a, b) => a.entry.localeCompare(b.entry));
const files = items.map((item) => ({ name: item.name, size: item.data.length }));

/** The end record is searched for in the last 64 KiB + 22 bytes; the format is told from 4 KiB. */
const endSearch = 22 + 0xffff;
const formatHead = 4096;

/**
 * The ranges that read a zip's structure (the probe, the format head, the tail holding the end
 * records and, in these small zips, the central directory), then each entry's header and data, in
 * the order asked.
 */
const zipRanges = ({ size, entries }: ZipLayout, only = entries) => [
  'bytes=0-0',
  `bytes=0-${formatHead - 1}`,
  `bytes=${size - endSearch}-${size - 1}`,
  ...only.flatMap((entry) => [headerRange(entry), dataRange(entry)]),
];

describe('send torbox:<id>', () => {
  let workspace: Workspace;
  let fake: FakeTorbox;
  let waits: number[];
  let layout: ZipLayout;
  const saved = { key: process.env.TORBOX_API_KEY, base: process.env.TORBOX_API_BASE };

  beforeEach(async () => {
    workspace = await createWorkspace();
    fake = await startFakeTorbox();
    waits = [];
    process.env.TORBOX_API_KEY = fake.key;
    process.env.TORBOX_API_BASE = fake.apiBase;
    const zip = join(workspace.root, 'torrent.zip');
    await writeZip(zip, items);
    const bytes = await readFile(zip);
    layout = zipLayout(bytes);
    fake.add({ kind: 'torrent', id: 1, name: 'Holiday', files, bytes });
  });

  afterEach(async () => {
    for (const [name, value] of [['TORBOX_API_KEY', saved.key], ['TORBOX_API_BASE', saved.base]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await fake.server.close();
    await removeWorkspace(workspace);
  });

  const options = async (more: Partial<SendOptions> = {}): Promise<SendOptions> => ({
    sink: await dirSink(workspace.out),
    state: workspace.state,
    minFree: 1_000_000,
    albumSize: 4,
    http: { wait: async (ms) => void waits.push(ms) },
    ...more,
  });

  /** Everything written to the state folder and the destination, as text. */
  async function everythingWritten(): Promise<string> {
    const texts = [];
    for (const folder of [workspace.state, workspace.out]) {
      for (const file of await filesUnder(folder)) texts.push(await readFile(join(folder, file), 'utf8'));
    }
    return texts.join('\n');
  }

  /** The ranges of the download link answered with bytes, in order. */
  const rangesRead = () => fake.downloads().filter((request) => request.status === 206).map((request) => request.range);

  /** What a promise rejected with. */
  async function failure(promise: Promise<unknown>): Promise<Error> {
    try {
      await promise;
    } catch (error) {
      return error as Error;
    }
    throw new Error('it did not fail');
  }

  it('delivers a torrent byte for byte from the zip Torbox makes of its files, read in place', async () => {
    const run = await runSend('torbox:1', await options());
    expect(run.summary).toMatchObject({ source: 'torbox:1', entries: items.length, delivered: items.length, failed: [] });
    expect(await deliveredDigests(workspace.out)).toEqual(expected);
    expect(fake.calls('torrents/mylist')).toHaveLength(1);
    expect(fake.calls('torrents/requestdl')).toHaveLength(1);
    expect(rangesRead()).toEqual(zipRanges(layout));
    expect(waits).toEqual([]);
  });

  it('records torbox:torrent:<id>, the size and the validators, and neither the key nor the link', async () => {
    await runSend('torbox:1', await options());
    const { archive } = manifestOnDisk(workspace.state);
    expect(archive).toMatchObject({ source: 'torbox:1', path: 'torbox:torrent:1', size: layout.size, mtimeMs: 0, format: 'zip' });
    expect(archive.validators).toEqual({ etag: expect.stringMatching(/^"/), lastModified: expect.any(String) });
    const written = await everythingWritten();
    expect(written).not.toContain(fake.key);
    expect(written).not.toContain('linksecret');
    expect(written).not.toContain('/cdn/');
  });

  it.each<[string, Expiry]>([
    ['403', { status: 403 }],
    ['410', { status: 410 }],
    ['a redirect to an error page', 'error-page'],
  ])('renews a link that expires part way (answering %s) and reads on from where it stopped', async (_, expiry) => {
    fake.expireLinksAfter(9, expiry);
    const run = await runSend('torbox:1', await options());
    expect(run.summary).toMatchObject({ delivered: items.length, failed: [] });
    expect(await deliveredDigests(workspace.out)).toEqual(expected);
    // 27 ranges, 9 per link (the 10th request to a link finds it expired): three links.
    expect(zipRanges(layout)).toHaveLength(27);
    expect(fake.links).toHaveLength(3);
    expect(fake.calls('torrents/requestdl')).toHaveLength(3);
    // Every range was answered once, in order: nothing read twice, nothing skipped.
    expect(rangesRead()).toEqual(zipRanges(layout));
    expect(waits).toEqual([1000, 1000]);
  });

  it('renews a link that expires while a tar.gz is read straight through, going on from the byte reached', async () => {
    const tarGz = await writeTarGz(join(workspace.root, 'backup.tar.gz'), items);
    fake.add({ kind: 'webdl', id: 3, name: 'backup', files: [{ name: 'backup.tar.gz', size: tarGz.length }], bytes: tarGz });
    // The fourth request reads the whole file: it is cut after 500 000 bytes, and its link has
    // expired by the time it is asked again.
    fake.server.fault({ dropAfter: 500_000 }, (request) => request.range === `bytes=0-${tarGz.length - 1}`);
    fake.expireLinksAfter(4, { status: 410 });
    const run = await runSend('torbox:webdl:3', await options());
    expect(run.summary).toMatchObject({ source: 'torbox:webdl:3', entries: null, delivered: items.length, failed: [] });
    expect(await deliveredDigests(workspace.out)).toEqual(expected);
    const query = Object.fromEntries(new URL(fake.calls('webdl/requestdl')[0]!.url, 'http://x').searchParams);
    expect(query).toEqual({ token: fake.key, web_id: '3', file_id: '0' });
    const requests = fake.downloads().map((request) => `${request.range} ${request.status}`);
    // It goes on from the last byte that reached the reader (what the socket held when cut is lost).
    const reached = Number(/^bytes=(\d+)-/.exec(requests[4] ?? '')?.[1]);
    expect(reached).toBeGreaterThan(400_000);
    expect(reached).toBeLessThanOrEqual(500_000);
    expect(requests).toEqual([
      'bytes=0-0 206',
      `bytes=0-${formatHead - 1} 206`,
      'bytes=0-65535 206',
      `bytes=0-${tarGz.length - 1} 206`,
      `bytes=${reached}-${tarGz.length - 1} 410`,
      `bytes=${reached}-${tarGz.length - 1} 206`,
    ]);
    expect(fake.links).toHaveLength(2);
    // Two failures in a row (the cut, then the expired link), with no byte between them.
    expect(waits).toEqual([1000, 2000]);
  });

  it('reads a usenet download of several files as its zip', async () => {
    fake.add({ kind: 'usenet', id: 2, name: 'Scans', files, bytes: await readFile(join(workspace.root, 'torrent.zip')) });
    const run = await runSend('torbox:usenet:2', await options());
    expect(run.summary).toMatchObject({ source: 'torbox:usenet:2', delivered: items.length, failed: [] });
    expect(await deliveredDigests(workspace.out)).toEqual(expected);
    expect(Object.fromEntries(new URL(fake.calls('usenet/requestdl')[0]!.url, 'http://x').searchParams)).toEqual({ token: fake.key, usenet_id: '2', zip_link: 'true' });
  });

  it('resumes through a fresh link without fetching the entries already delivered', async () => {
    let checkpoints = 0;
    await runSendUntil('torbox:1', await options({ albumSize: 3 }), (step) => step.kind === 'checkpoint' && ++checkpoints === 2);
    const delivered = new Set((manifestOnDisk(workspace.state)).delivered.flatMap(([first, last]) => Array.from({ length: last - first + 1 }, (_, i) => first + i)));
    expect(delivered.size).toBe(6);

    fake.server.log.length = 0;
    // Another spelling of the same download: the same state.
    const second = await runSend('torbox:torrent:1', await options({ albumSize: 3 }));
    expect(second.summary).toMatchObject({ source: 'torbox:torrent:1', delivered: items.length, failed: [] });
    expect(fake.calls('torrents/requestdl')).toHaveLength(1);
    expect(fake.links).toHaveLength(2);
    const remaining = layout.entries.filter((entry) => !delivered.has(entry.index));
    expect(remaining).toHaveLength(items.length - 6);
    expect(rangesRead()).toEqual(zipRanges(layout, remaining));
    expect(await deliveredDigests(workspace.out)).toEqual(expected);
    expect((await readdir(join(workspace.state, 'manifests'))).filter((name) => name.endsWith('.json'))).toHaveLength(1);
  });

  it('waits out a rate limit on the API for as long as Retry-After asks', async () => {
    fake.server.fault({ status: 429, headers: { 'retry-after': '2' } }, (request) => request.path.startsWith('/v1/api/'), 2);
    const run = await runSend('torbox:1', await options());
    expect(run.summary).toMatchObject({ delivered: items.length, failed: [] });
    expect(waits).toEqual([2000, 2000]);
  });

  describe('stops with one line', () => {
    it('asking for TORBOX_API_KEY, as a ConfigError, before asking Torbox anything', async () => {
      delete process.env.TORBOX_API_KEY;
      const error = await failure(runSend('torbox:1', await options()));
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toBe('torbox:1: TORBOX_API_KEY is not set: copy your API key from https://torbox.app/settings and set TORBOX_API_KEY in the environment');
      expect(fake.server.log).toEqual([]);
    });

    it('for a key Torbox refuses, as a ConfigError', async () => {
      process.env.TORBOX_API_KEY = 'not-the-key';
      const error = await failure(runSend('torbox:1', await options()));
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toBe('torbox:1: Torbox refused the API key in TORBOX_API_KEY (BAD_TOKEN): copy it again from https://torbox.app/settings');
    });

    it('for a malformed name, as a ConfigError', async () => {
      const error = await failure(runSend('torbox:photos', await options()));
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toBe("torbox:photos: not a Torbox download; write torbox:<id> for a torrent, torbox:usenet:<id> or torbox:webdl:<id>, with the download's id in Torbox");
    });

    it('for an id Torbox does not have, as an ArchiveError', async () => {
      const error = await failure(runSend('torbox:99', await options()));
      expect(error).toEqual(new ArchiveError('torbox:99', 'Torbox has no torrent 99 in this account (ITEM_NOT_FOUND); check the id in your Torbox downloads'));
      expect(error).toBeInstanceOf(ArchiveError);
    });

    it('for a download that has not finished, as an ArchiveError, without asking for a link', async () => {
      fake.add({ kind: 'webdl', id: 5, name: 'Holiday videos', files, bytes: Buffer.alloc(0), finished: false, progress: 0.42 });
      const error = await failure(runSend('torbox:webdl:5', await options()));
      expect(error).toBeInstanceOf(ArchiveError);
      expect(error.message).toBe('torbox:webdl:5: “Holiday videos” has not finished downloading on Torbox yet (42 % done); run the same command again when it has');
      expect(fake.calls('webdl/requestdl')).toEqual([]);
    });

    it('when Torbox keeps limiting requests, as an ArchiveError, after waiting as asked', async () => {
      fake.server.fault({ status: 429, headers: { 'retry-after': '30' } }, (request) => request.path.startsWith('/v1/api/'), Infinity);
      const error = await failure(runSend('torbox:1', await options()));
      expect(error).toEqual(
        new ArchiveError('torbox:1', 'Torbox is limiting how often it may be asked (HTTP 429) and still was after 5 attempts; wait a few minutes and run the same command again'),
      );
      expect(waits).toEqual([30_000, 30_000, 30_000, 30_000]);
    });

    it('when a renewal is refused part way, as an ArchiveError, keeping the albums delivered', async () => {
      // The first link serves the structure and five entries; renewing it is refused.
      fake.expireLinksAfter(16, { status: 403 });
      let armed = false;
      fake.server.onRequest((request) => {
        if (armed || !request.path.startsWith('/cdn/')) return;
        armed = true;
        const body = JSON.stringify({ success: false, error: 'BAD_TOKEN', detail: 'The API token is not valid.', data: null });
        fake.override('torrents/requestdl', { status: 403, headers: { 'content-type': 'application/json' }, body }, Infinity);
      });
      // A run that fails has let go of its lock before it says so.
      const error = await failure(runSend('torbox:1', await options()));
      expect(error).toEqual(new ArchiveError('torbox:1', 'Torbox refused the API key in TORBOX_API_KEY (BAD_TOKEN): copy it again from https://torbox.app/settings'));
      expect(error).toBeInstanceOf(ArchiveError);
      expect((await deliveredDigests(workspace.out)).map((file) => file.entry)).toEqual(['photos/p0.jpg', 'photos/p1.jpg', 'photos/p2.jpg', 'photos/p3.jpg']);
      expect(fake.calls('torrents/requestdl').map((call) => call.status)).toEqual([200, 403]);
    });
  });

  it('reads a pasted Torbox download link as any https address, never showing its token', async () => {
    const link = await torboxClient({ apiKey: fake.key, apiBase: fake.apiBase }).requestDownload({ kind: 'torrent', id: 1 });
    const run = await runSend(link, await options());
    expect(run.summary).toMatchObject({ source: redactUrl(link), delivered: items.length, failed: [] });
    expect(redactUrl(link)).toMatch(/\/cdn\/torrent-1\/download\.zip\?…$/);
    expect(await everythingWritten()).not.toContain('linksecret');
  });
});
