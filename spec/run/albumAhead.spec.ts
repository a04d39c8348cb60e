import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { firstValueFrom, from, lastValueFrom, toArray } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DiskSpaceProbe } from '../../src/freeSpace.js';
import { send } from '../../src/pipeline.js';
import { dirSink } from '../../src/sinks/dirSink.js';
import type { Sink } from '../../src/sinks/sink.js';
import type { Album } from '../../src/step.js';
import { runSend, stepsOf } from '../support/runSend.js';
import { sha256, textBytes } from '../support/sampleBytes.js';
import {
  albumEntries,
  createWorkspace,
  deliveredFiles,
  filesUnder,
  manifestOnDisk,
  readAlbums,
  removeWorkspace,
  type Workspace,
} from '../support/workspace.js';
import { writeZip } from '../support/zipFixtures.js';

const albumSize = 10;
const fileSize = 50_000;
const files = Array.from({ length: 50 }, (_, i) => ({ name: `doc${String(i).padStart(2, '0')}.txt`, data: textBytes(fileSize, `ahead-${i}`) }));

/** An album by its first entry's name, which is unique here: `doc10` is the second album. */
const label = (album: Album) => album.files[0]!.entry.name.replace(/\.txt$/, '');

/**
 * A real folder sink that takes `delay` ms over each album before placing it, and logs, in order,
 * each call of `deliver` and `prepare` and each delivery resolved. At each `prepare` it notes
 * whether the album's temp files are all on disk, and at each call it counts the temp files.
 * With `untilPrepared`, it takes instead as long as the album behind takes to be prepared (all
 * but the last, `doc40`), however slow the machine: what it shows then is the order of calls.
 */
async function slowSink(out: string, tmp: string, delay: number, untilPrepared = false) {
  const inner = await dirSink(out);
  const log: string[] = [];
  const seen = { mostTempFiles: 0, preparedWithFilesMissing: 0 };
  const count = async () => {
    seen.mostTempFiles = Math.max(seen.mostTempFiles, (await filesUnder(tmp)).length);
  };
  const prepared = () => log.filter((line) => line.startsWith('prepare')).length;
  const sink: Sink = {
    name: inner.name,
    async deliver(album, signal) {
      log.push(`deliver ${label(album)}`);
      const before = prepared();
      await count();
      await sleep(delay);
      if (untilPrepared && label(album) !== 'doc40') {
        for (let waited = 0; prepared() === before && waited < 10_000; waited += 5) await sleep(5);
      }
      await count();
      const receipt = await firstValueFrom(from(inner.deliver(album, signal)));
      log.push(`delivered ${label(album)}`);
      return receipt;
    },
    async prepare(album) {
      log.push(`prepare ${label(album)}`);
      seen.preparedWithFilesMissing += album.files.filter((file) => !existsSync(file.path)).length;
      await count();
    },
  };
  return { sink, log, seen };
}

/** Counts the files under `folder` every few milliseconds until stopped, keeping the most seen. */
function watchFolder(folder: string) {
  let most = 0;
  let watching = true;
  const done = (async () => {
    while (watching) {
      most = Math.max(most, (await filesUnder(folder)).length);
      await sleep(2);
    }
  })();
  return async () => {
    watching = false;
    await done;
    return most;
  };
}

/** Bytes of the files under a folder. */
async function bytesUnder(folder: string): Promise<number> {
  const names = await readdir(folder, { recursive: true }).catch(() => [] as string[]);
  const sizes = await Promise.all(names.map((name) => stat(join(folder, name)).then((info) => (info.isFile() ? info.size : 0), () => 0)));
  return sizes.reduce((sum, size) => sum + size, 0);
}

describe('one album ahead, through the whole pipeline', () => {
  let workspace: Workspace;
  let archive: string;

  beforeEach(async () => {
    workspace = await createWorkspace();
    archive = join(workspace.root, 'docs.zip');
    await writeZip(archive, files);
  });

  afterEach(async () => {
    await removeWorkspace(workspace);
  });

  it('writes album k+1 while album k is delivered, prepares it before k is delivered, and delivers it only after', async () => {
    const tmp = join(workspace.state, 'tmp');
    const { sink, log, seen } = await slowSink(workspace.out, tmp, 50, true);
    const stopWatching = watchFolder(tmp);
    const { summary, steps } = await runSend(archive, { sink, state: workspace.state, albumSize });
    const mostOnDisk = await stopWatching();

    expect(summary).toMatchObject({ delivered: 50, albums: 5, failed: [], skipped: [] });
    expect(log).toEqual([
      'deliver doc00',
      'prepare doc10',
      'delivered doc00',
      'deliver doc10',
      'prepare doc20',
      'delivered doc10',
      'deliver doc20',
      'prepare doc30',
      'delivered doc20',
      'deliver doc30',
      'prepare doc40',
      'delivered doc30',
      'deliver doc40',
      'delivered doc40',
    ]);
    // When prepared, an album's files were all written: it was read while the one before was delivered.
    expect(seen.preparedWithFilesMissing).toBe(0);
    expect(seen.mostTempFiles).toBe(2 * albumSize);
    expect(mostOnDisk).toBeGreaterThan(albumSize);
    expect(mostOnDisk).toBeLessThanOrEqual(2 * albumSize);
    expect(stepsOf(steps, 'delivering').map((step) => label(step.album))).toEqual(['doc00', 'doc10', 'doc20', 'doc30', 'doc40']);

    const albums = await readAlbums(workspace.out);
    expect(albumEntries(albums)).toEqual([0, 1, 2, 3, 4].map((k) => files.slice(k * albumSize, (k + 1) * albumSize).map((file) => file.name)));
    expect(deliveredFiles(albums).map((file) => file.sha256)).toEqual(files.map((file) => sha256(file.data)));
    expect(await filesUnder(tmp)).toEqual([]);
  });

  it('keeps one album on disk, without a pause or a 30 s wait, when the disk has room for only one', async () => {
    const tmp = join(workspace.state, 'tmp');
    const minFree = 1_000_000;
    // Room for one album and half a file: what is in the temp folder is what is used.
    const probe: DiskSpaceProbe = async (folder) => ({ free: minFree + albumSize * fileSize + fileSize / 2 - (await bytesUnder(folder)), size: 100e9 });
    const { sink, log, seen } = await slowSink(workspace.out, tmp, 100);
    const stopWatching = watchFolder(tmp);
    const started = Date.now();
    const { summary, steps } = await runSend(archive, { sink, state: workspace.state, albumSize, minFree, probe });
    const elapsed = Date.now() - started;
    const mostOnDisk = await stopWatching();

    expect(summary).toMatchObject({ delivered: 50, albums: 5, failed: [], skipped: [] });
    // The next album is read only once the one before is delivered and its files deleted, at once.
    expect(log.filter((line) => line.startsWith('prepare'))).toEqual([]);
    expect(seen.mostTempFiles).toBe(albumSize);
    expect(mostOnDisk).toBeLessThanOrEqual(albumSize);
    expect(stepsOf(steps, 'paused')).toEqual([]);
    expect(elapsed).toBeLessThan(10_000);
    expect(deliveredFiles(await readAlbums(workspace.out)).map((file) => file.sha256)).toEqual(files.map((file) => sha256(file.data)));
  });

  it('stops within 2 s with album k in delivery and album k+1 prepared, aborting both, and the next run sends everything once', async () => {
    const tmp = join(workspace.state, 'tmp');
    const stopping = new AbortController();
    const signals: Record<string, AbortSignal> = {};
    let stoppedAt = 0;
    // Takes no album: the first hangs until aborted, and the stop comes once the second is prepared.
    const sink: Sink = {
      name: 'hanging',
      deliver(album, signal) {
        signals[`deliver ${label(album)}`] = signal;
        return new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
      },
      async prepare(album, signal) {
        signals[`prepare ${label(album)}`] = signal;
        stoppedAt = Date.now();
        stopping.abort();
      },
    };
    const steps = await lastValueFrom(send(archive, { sink, state: workspace.state, albumSize, minFree: 1_000_000, signal: stopping.signal }).pipe(toArray()));
    expect(Date.now() - stoppedAt).toBeLessThan(2_000);
    expect(Object.keys(signals)).toEqual(['deliver doc00', 'prepare doc10']);
    expect(Object.values(signals).map((signal) => signal.aborted)).toEqual([true, true]);
    expect(stepsOf(steps, 'delivered')).toEqual([]);
    expect(await filesUnder(tmp)).toEqual([]);
    expect(await readdir(join(workspace.state, 'locks'))).toEqual([]);
    // Both albums were recorded before the sink saw them, and go again under the same ids.
    const inFlight = Object.keys(manifestOnDisk(workspace.state).inFlight);
    expect(inFlight).toHaveLength(2);

    const { summary, steps: again } = await runSend(archive, { sink: await dirSink(workspace.out), state: workspace.state, albumSize });
    expect(summary).toMatchObject({ delivered: 50, albums: 5, failed: [] });
    expect(stepsOf(again, 'delivered').slice(0, 2).map((step) => step.album.id)).toEqual(inFlight);
    expect(deliveredFiles(await readAlbums(workspace.out)).map((file) => file.sha256)).toEqual(files.map((file) => sha256(file.data)));
  });

  it('keeps one album on disk with albumsAhead 0, and asks nothing of prepare', async () => {
    const tmp = join(workspace.state, 'tmp');
    const { sink, log, seen } = await slowSink(workspace.out, tmp, 50);
    const { summary, steps } = await runSend(archive, { sink, state: workspace.state, albumSize, albumsAhead: 0 });
    expect(summary).toMatchObject({ delivered: 50, albums: 5, failed: [] });
    expect(log.filter((line) => line.startsWith('prepare'))).toEqual([]);
    expect(seen.mostTempFiles).toBe(albumSize);
    expect(stepsOf(steps, 'delivering')).toEqual([]);
  });
});
