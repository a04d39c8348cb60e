import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, sendArgs } from '../support/runCli.js';
import { jpegBytes, sha256 } from '../support/sampleBytes.js';
import { createWorkspace, deliveredFiles, filesUnder, readAlbums, removeWorkspace, type Workspace } from '../support/workspace.js';
import { writeZip } from '../support/zipFixtures.js';
import { type FakeTorbox, startFakeTorbox } from './fakeTorbox.js';

const photos = Array.from({ length: 5 }, (_, i) => ({ name: `p${i}.jpg`, data: jpegBytes(40_000 + i, `cli-torbox-${i}`) }));

describe('unspool send torbox:<id>', () => {
  let workspace: Workspace;
  let fake: FakeTorbox;

  beforeEach(async () => {
    workspace = await createWorkspace();
    fake = await startFakeTorbox();
    const archive = join(workspace.root, 'photos.zip');
    await writeZip(archive, photos);
    const files = photos.map((photo) => ({ name: photo.name, size: photo.data.length }));
    fake.add({ kind: 'torrent', id: 7, name: 'Photos', files, bytes: await readFile(archive) });
    fake.add({ kind: 'usenet', id: 8, name: 'Unfinished', files, bytes: Buffer.alloc(0), finished: false, progress: 0.5 });
  });

  afterEach(async () => {
    await fake.server.close();
    await removeWorkspace(workspace);
  });

  const env = (key: string | undefined = fake.key) => ({ TORBOX_API_KEY: key ?? '', TORBOX_API_BASE: fake.apiBase });

  /** Everything the state folder and the destination hold, as text. */
  async function everythingWritten(): Promise<string> {
    const texts = [];
    for (const folder of [workspace.state, workspace.out]) {
      for (const file of await filesUnder(folder)) texts.push(await readFile(join(folder, file), 'utf8'));
    }
    return texts.join('\n');
  }

  it('delivers byte for byte through a link renewed part way, the key and link tokens nowhere to be seen', async () => {
    // 6 requests read the structure and 2 each entry: the first link expires after 10.
    fake.expireLinksAfter(10, { status: 410 });
    const result = await runCli([...sendArgs('torbox:7', workspace.out, workspace.state), '--verbose'], { env: env() });
    expect(result.code).toBe(0);
    expect(result.summary).toMatchObject({ source: 'torbox:7', entries: photos.length, delivered: photos.length, failed: [] });
    const delivered = deliveredFiles(await readAlbums(workspace.out));
    expect(delivered.map(({ entry, sha256 }) => ({ entry, sha256 }))).toEqual(photos.map((photo) => ({ entry: photo.name, sha256: sha256(photo.data) })));
    expect(fake.links).toHaveLength(2);
    for (const text of [result.stdout, result.stderr, await everythingWritten()]) {
      expect(text).not.toContain(fake.key);
      expect(text).not.toContain('linksecret');
    }
  });

  it.each([
    ['a missing key', 'torbox:7', '', 2, 'torbox:7: TORBOX_API_KEY is not set: copy your API key from https://torbox.app/settings and set TORBOX_API_KEY in the environment'],
    ['a refused key', 'torbox:7', 'wrong-key', 2, 'torbox:7: Torbox refused the API key in TORBOX_API_KEY (BAD_TOKEN): copy it again from https://torbox.app/settings'],
    ['a malformed name', 'torbox:seven', undefined, 2, "torbox:seven: not a Torbox download; write torbox:<id> for a torrent, torbox:usenet:<id> or torbox:webdl:<id>, with the download's id in Torbox"],
    ['an unknown id', 'torbox:webdl:70', undefined, 3, 'torbox:webdl:70: Torbox has no web download 70 in this account (ITEM_NOT_FOUND); check the id in your Torbox downloads'],
    ['an unfinished download', 'torbox:usenet:8', undefined, 3, 'torbox:usenet:8: “Unfinished” has not finished downloading on Torbox yet (50 % done); run the same command again when it has'],
  ])('exits with one line for %s', async (_, name, key, code, message) => {
    const result = await runCli(sendArgs(name, workspace.out, workspace.state), { env: env(key) });
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code, stderr: `unspool: ${message}\n` });
    expect(result.stdout + (await everythingWritten())).not.toContain(fake.key);
  });

  it('exits 3 with one line when Torbox keeps limiting requests', async () => {
    fake.server.fault({ status: 429, headers: { 'retry-after': '0' } }, (request) => request.path.startsWith('/v1/api/'), Infinity);
    const result = await runCli(sendArgs('torbox:7', workspace.out, workspace.state), { env: env() });
    expect(result.code).toBe(3);
    expect(result.stderr).toBe(
      'unspool: torbox:7: Torbox is limiting how often it may be asked (HTTP 429) and still was after 5 attempts; wait a few minutes and run the same command again\n',
    );
    expect(result.summary).toMatchObject({ source: 'torbox:7', failed: [{ entry: '(the whole archive)', reason: 'unreadable' }] });
    expect(fake.calls('torrents/mylist')).toHaveLength(5);
  });
});
