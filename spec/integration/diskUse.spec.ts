import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { firstValueFrom, from } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dirSink } from '../../src/sinks/dirSink.js';
import type { Sink } from '../../src/sinks/sink.js';
import type { Album } from '../../src/step.js';
import { runSend } from '../support/runSend.js';
import { jpegBytes, mp3Bytes, mp4Bytes, sha256, textBytes } from '../support/sampleBytes.js';
import { createWorkspace, deliveredFiles, filesUnder, readAlbums, removeWorkspace, type Workspace } from '../support/workspace.js';
import { writeZip } from '../support/zipFixtures.js';

/** 40 entries of all four media types in an irregular order, so that groups fill at different times. */
const media = Array.from({ length: 40 }, (_, i) => {
  const kind = [0, 1, 0, 2, 3, 0, 1, 3, 2, 0, 3][i % 11]!;
  const name = `${String(i).padStart(2, '0')}.${['jpg', 'mp4', 'mp3', 'txt'][kind]}`;
  const data = [jpegBytes, mp4Bytes, mp3Bytes, textBytes][kind]!(20_000 + i * 100, name);
  return { name, data };
});

/**
 * A real folder sink that, each time it is handed an album, counts the temp files waiting in
 * `<state>/tmp` and checks that the album's own files are among them; with `linger`, it counts
 * again after that many milliseconds, giving the rest of the pipeline time to read ahead.
 */
function measuringSink(inner: Sink, state: string, linger = 0) {
  const seen = { calls: 0, mostWaiting: 0, albumFilesMissing: 0 };
  const count = async (album: Album) => {
    const waiting = (await filesUnder(join(state, 'tmp'))).map((file) => join(state, 'tmp', file));
    seen.mostWaiting = Math.max(seen.mostWaiting, waiting.length);
    seen.albumFilesMissing += album.files.filter((file) => !waiting.includes(file.path)).length;
  };
  const sink: Sink = {
    name: inner.name,
    async deliver(album, signal) {
      seen.calls++;
      await count(album);
      if (linger > 0) {
        await sleep(linger);
        await count(album);
      }
      return firstValueFrom(from(inner.deliver(album, signal)));
    },
  };
  return { sink, seen };
}

describe('disk use', () => {
  let workspace: Workspace;
  let archive: string;

  beforeEach(async () => {
    workspace = await createWorkspace();
    archive = join(workspace.root, 'media.zip');
    await writeZip(archive, media);
  });

  afterEach(async () => {
    await removeWorkspace(workspace);
  });

  it.each([10, 4])('never keeps more than one album of files (%i) waiting on disk with no album ahead', async (albumSize) => {
    const { sink, seen } = measuringSink(await dirSink(workspace.out), workspace.state, 30);
    const { summary } = await runSend(archive, { sink, state: workspace.state, albumSize, albumsAhead: 0 });
    expect(summary).toMatchObject({ delivered: 40, failed: [] });
    expect(seen.albumFilesMissing).toBe(0);
    expect(seen.mostWaiting).toBe(albumSize);
    expect(seen.calls).toBe(summary.albums);
  });

  it.each([10, 4])('keeps the next album (%i files) on disk while one is delivered, and never more', async (albumSize) => {
    const { sink, seen } = measuringSink(await dirSink(workspace.out), workspace.state, 30);
    const { summary } = await runSend(archive, { sink, state: workspace.state, albumSize });
    expect(summary).toMatchObject({ delivered: 40, failed: [] });
    expect(seen.albumFilesMissing).toBe(0);
    // The album being delivered, and at most an album's worth behind it (the next album and the
    // files left in other groups when it went).
    expect(seen.mostWaiting).toBeGreaterThan(albumSize);
    expect(seen.mostWaiting).toBeLessThanOrEqual(2 * albumSize);
    expect(seen.calls).toBe(summary.albums);
  });

  it('leaves the temp folder empty after the run', async () => {
    await runSend(archive, { sink: await dirSink(workspace.out), state: workspace.state });
    expect(await readdir(join(workspace.state, 'tmp'))).toEqual([]);
  });

  it('fails every file with reason no-room, at once, when the threshold is more than the disk holds', async () => {
    const started = Date.now();
    const { summary } = await runSend(archive, { sink: await dirSink(workspace.out), state: workspace.state, minFree: 1e18 });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(summary.delivered).toBe(0);
    expect(summary.failed).toHaveLength(40);
    expect(new Set(summary.failed.map((item) => item.reason))).toEqual(new Set(['no-room']));
    expect(summary.failed.map((item) => item.entry)).toEqual(media.map((file) => file.name));
    expect(await filesUnder(workspace.out)).toEqual([]);
  });

  it('delivers everything through the real disk-space probe when the threshold is small', async () => {
    const { summary } = await runSend(archive, { sink: await dirSink(workspace.out), state: workspace.state, minFree: 1 });
    expect(summary).toMatchObject({ delivered: 40, skipped: [], failed: [] });
    const delivered = deliveredFiles(await readAlbums(workspace.out));
    expect(delivered.map((file) => file.sha256).sort()).toEqual(media.map((file) => sha256(file.data)).sort());
  });
});
