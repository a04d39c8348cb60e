import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { notAnArchive } from '../../src/sources/archive.js';
import { type HttpServer, startHttpServer } from '../support/httpServer.js';
import { startCli } from '../resume/cliProcess.js';
import { runCli, sendArgs } from '../support/runCli.js';
import { jpegBytes, pseudoRandomBytes, sha256 } from '../support/sampleBytes.js';
import { createWorkspace, deliveredFiles, filesUnder, readAlbums, removeWorkspace, type Workspace } from '../support/workspace.js';
import { writeZip } from '../support/zipFixtures.js';

const photos = Array.from({ length: 5 }, (_, i) => ({ name: `p${i}.jpg`, data: jpegBytes(40_000 + i, `cli-http-${i}`) }));

describe('unspool send <http(s) address>', () => {
  let workspace: Workspace;
  let server: HttpServer;

  beforeEach(async () => {
    workspace = await createWorkspace();
    server = await startHttpServer();
    const archive = join(workspace.root, 'photos.zip');
    await writeZip(archive, photos);
    server.serve('/files/photos.zip', await readFile(archive));
  });

  afterEach(async () => {
    await server.close();
    await removeWorkspace(workspace);
  });

  /** Everything the state folder holds, as text: manifests, journals, locks, leftovers. */
  async function stateText(): Promise<string> {
    const files = await filesUnder(workspace.state);
    return (await Promise.all(files.map((file) => readFile(join(workspace.state, file), 'utf8')))).join('\n');
  }

  it('follows redirects and never shows the query string: not in stdout, stderr, the state or the albums', async () => {
    server.redirect('/share', '/signed?sig=secret-signature');
    server.redirect('/signed', '/files/photos.zip?X-Amz-Signature=secret-too');
    const result = await runCli([...sendArgs(server.url('/share?token=secret'), workspace.out, workspace.state), '--verbose']);
    expect(result.code).toBe(0);
    expect(result.summary).toMatchObject({ source: `${server.url('/share')}?…`, delivered: photos.length, failed: [] });
    const delivered = deliveredFiles(await readAlbums(workspace.out));
    expect(delivered.map(({ entry, sha256 }) => ({ entry, sha256 }))).toEqual(photos.map((photo) => ({ entry: photo.name, sha256: sha256(photo.data) })));
    const albums = (await filesUnder(workspace.out)).filter((file) => file.endsWith('album.json'));
    const albumText = (await Promise.all(albums.map((file) => readFile(join(workspace.out, file), 'utf8')))).join('\n');
    for (const text of [result.stdout, result.stderr, await stateText(), albumText]) expect(text).not.toContain('secret');
    // Ranges go straight to the last address of the chain once it is known.
    expect(server.log.filter((request) => request.path !== '/files/photos.zip').map((request) => request.range)).toEqual(['bytes=0-0', 'bytes=0-0']);
  });

  it('never shows the query string when stopped by SIGINT in the middle of a run', async () => {
    // The first entry's local header (its first 30 bytes) is answered with a 503 asking for 30 s:
    // the run waits there, after the archive is open.
    server.fault({ status: 503, headers: { 'Retry-After': '30' } }, (request) => request.range === 'bytes=0-29', 1);
    const cli = startCli(sendArgs(server.url('/files/photos.zip?token=secret'), workspace.out, workspace.state));
    await vi.waitFor(() => expect(server.log.some((request) => request.status === 503)).toBe(true), { timeout: 15_000, interval: 20 });
    cli.kill('SIGINT');
    const exit = await cli.exited;
    expect(exit.code).toBe(130);
    expect(exit.stderr).toContain(`unspool: ${server.url('/files/photos.zip')}?…: stopped by SIGINT; run the same command again to resume`);
    expect(exit.stdout + exit.stderr + (await stateText())).not.toContain('secret');
  });

  it('exits 3 on a 404, naming the status and the address with its query string redacted', async () => {
    const result = await runCli(sendArgs(server.url('/missing.zip?token=secret'), workspace.out, workspace.state));
    expect(result.code).toBe(3);
    const name = `${server.url('/missing.zip')}?…`;
    expect(result.stderr).toBe(`unspool: ${name}: cannot read: HTTP 404 Not Found from ${name}\n`);
    expect(result.summary).toMatchObject({ source: name, failed: [{ entry: '(the whole archive)', reason: 'unreadable' }] });
    expect(result.stdout + (await stateText())).not.toContain('secret');
  });

  it('exits 3 with one line when the file changes while being read', async () => {
    // Requests 1 to 3 read the structure (the probe, the format head, the tail with the end records
    // and the central directory), then each entry takes two (its header, its data): the file
    // changes as the third photo's data is asked for.
    server.onRequest(() => {
      if (server.log.length === 9) server.serve('/files/photos.zip', pseudoRandomBytes(100_000, 'replaced'));
    });
    const result = await runCli(sendArgs(server.url('/files/photos.zip?token=secret'), workspace.out, workspace.state, '--album-size', '2'));
    const name = `${server.url('/files/photos.zip')}?…`;
    expect(result.code).toBe(3);
    expect(result.stderr).toBe(`unspool: ${name}: the file at ${name} changed while being read\n`);
    const albums = await readAlbums(workspace.out);
    expect(albums.map((album) => album.files.map((file) => [file.entry, file.sha256]))).toEqual([photos.slice(0, 2).map((photo) => [photo.name, sha256(photo.data)])]);
    expect(result.stdout + result.stderr + (await stateText())).not.toContain('secret');
  });

  it('exits 3 for a file that is not an archive', async () => {
    server.serve('/notes.txt', Buffer.from('just some text, not an archive\n'.repeat(100)));
    const result = await runCli(sendArgs(server.url('/notes.txt'), workspace.out, workspace.state));
    expect(result.code).toBe(3);
    expect(result.stderr).toBe(`unspool: ${server.url('/notes.txt')}: ${notAnArchive}\n`);
  });
});
