import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SendOptions } from '../../src/pipeline.js';
import { dirSink } from '../../src/sinks/dirSink.js';
import { runSend } from '../support/runSend.js';
import { jpegBytes, sha256, textBytes } from '../support/sampleBytes.js';
import { writeTar } from '../support/tarFixtures.js';
import { createWorkspace, deliveredFiles, filesUnder, readAlbums, removeWorkspace, type Workspace } from '../support/workspace.js';
import { bombEntry, symlinkEntry, writeRawZip, writeZip } from '../support/zipFixtures.js';

const keep = { name: 'keep.jpg', data: jpegBytes(4_000, 'keep') };

describe('entries skipped on purpose', () => {
  let workspace: Workspace;

  beforeEach(async () => {
    workspace = await createWorkspace();
  });

  afterEach(async () => {
    await removeWorkspace(workspace);
  });

  /** Runs the archive and checks that exactly `keep.jpg` was delivered, byte for byte. */
  async function deliverKeepingOne(archive: string, options: Partial<SendOptions> = {}) {
    const run = await runSend(archive, { sink: await dirSink(workspace.out), state: workspace.state, ...options });
    const delivered = deliveredFiles(await readAlbums(workspace.out));
    expect(delivered.map(({ entry, sha256 }) => ({ entry, sha256 }))).toEqual([{ entry: 'keep.jpg', sha256: sha256(keep.data) }]);
    expect(run.summary.failed).toEqual([]);
    expect(await filesUnder(join(workspace.state, 'tmp'))).toEqual([]);
    return run.summary;
  }

  it('counts zip directories in directories, not in skipped', async () => {
    const archive = join(workspace.root, 'dirs.zip');
    await writeZip(archive, [{ name: 'photos', directory: true }, { name: 'photos/2024', directory: true }, keep]);
    const summary = await deliverKeepingOne(archive);
    expect(summary).toMatchObject({ entries: 3, delivered: 1, directories: 2, skipped: [] });
  });

  it('counts tar directories in directories, not in skipped', async () => {
    const archive = join(workspace.root, 'dirs.tar');
    await writeTar(archive, [{ name: 'photos', type: 'directory' }, keep]);
    const summary = await deliverKeepingOne(archive);
    expect(summary).toMatchObject({ delivered: 1, directories: 1, skipped: [] });
  });

  it('skips zero-byte files with reason empty', async () => {
    const archive = join(workspace.root, 'empty.zip');
    await writeZip(archive, [{ name: 'nothing.txt', data: '' }, keep, { name: 'also-nothing.jpg', data: '', compress: false }]);
    const summary = await deliverKeepingOne(archive);
    expect(summary.skipped.map(({ entry, reason }) => ({ entry, reason }))).toEqual([
      { entry: 'nothing.txt', reason: 'empty' },
      { entry: 'also-nothing.jpg', reason: 'empty' },
    ]);
  });

  it('skips a symbolic link in a zip with reason link', async () => {
    const archive = join(workspace.root, 'link.zip');
    await writeRawZip(archive, [symlinkEntry('passwd.txt', '/etc/passwd'), keep]);
    const summary = await deliverKeepingOne(archive);
    expect(summary.skipped.map(({ entry, reason }) => ({ entry, reason }))).toEqual([{ entry: 'passwd.txt', reason: 'link' }]);
  });

  it('skips symbolic and hard links in a tar with reason link', async () => {
    const archive = join(workspace.root, 'links.tar');
    await writeTar(archive, [
      keep,
      { name: 'passwd.txt', type: 'symlink', linkname: '/etc/passwd' },
      { name: 'again.jpg', type: 'link', linkname: 'keep.jpg' },
    ]);
    const summary = await deliverKeepingOne(archive);
    expect(summary.skipped.map(({ entry, reason }) => ({ entry, reason }))).toEqual([
      { entry: 'passwd.txt', reason: 'link' },
      { entry: 'again.jpg', reason: 'link' },
    ]);
  });

  it('skips entries flagged as encrypted with reason encrypted', async () => {
    const archive = join(workspace.root, 'secret.zip');
    await writeRawZip(archive, [{ name: 'secret.txt', data: textBytes(500, 'secret'), encrypted: true }, keep]);
    const summary = await deliverKeepingOne(archive);
    expect(summary.skipped.map(({ entry, reason }) => ({ entry, reason }))).toEqual([{ entry: 'secret.txt', reason: 'encrypted' }]);
  });

  it('skips an entry whose headers declare a zip bomb with reason bomb', async () => {
    const archive = join(workspace.root, 'bomb.zip');
    await writeRawZip(archive, [bombEntry('bomb.txt'), keep]);
    const summary = await deliverKeepingOne(archive);
    expect(summary.skipped.map(({ entry, reason }) => ({ entry, reason }))).toEqual([{ entry: 'bomb.txt', reason: 'bomb' }]);
  });

  it('skips entries over the size limit with reason too-large', async () => {
    const archive = join(workspace.root, 'large.zip');
    await writeZip(archive, [{ name: 'large.txt', data: textBytes(5_001, 'large') }, keep, { name: 'limit.bin', data: textBytes(5_000, 'limit') }]);
    const run = await runSend(archive, { sink: await dirSink(workspace.out), state: workspace.state, maxEntrySize: 5_000 });
    expect(run.summary.skipped.map(({ entry, reason }) => ({ entry, reason }))).toEqual([{ entry: 'large.txt', reason: 'too-large' }]);
    expect(deliveredFiles(await readAlbums(workspace.out)).map((file) => file.entry).sort()).toEqual(['keep.jpg', 'limit.bin']);
  });
});
