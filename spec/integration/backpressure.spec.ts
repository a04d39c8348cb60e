import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { filter, firstValueFrom, from, take, tap } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { send } from '../../src/pipeline.js';
import { dirSink } from '../../src/sinks/dirSink.js';
import type { Sink } from '../../src/sinks/sink.js';
import type { Step } from '../../src/step.js';
import { runSend } from '../support/runSend.js';
import { textBytes } from '../support/sampleBytes.js';
import { writeTarGz } from '../support/tarFixtures.js';
import { albumEntries, createWorkspace, filesUnder, readAlbums, removeWorkspace, type Workspace } from '../support/workspace.js';
import { writeZip } from '../support/zipFixtures.js';

const files = Array.from({ length: 50 }, (_, i) => ({ name: `doc${String(i).padStart(2, '0')}.txt`, data: textBytes(20_000, `bp-${i}`) }));

/**
 * A real folder sink that, before taking an album, gives the rest of the pipeline time to run ahead
 * and then counts the temp files: a source that did not wait would have materialised more entries
 * by then.
 */
async function patientSink(out: string, state: string) {
  const inner = await dirSink(out);
  const calls: { files: number; waiting: number }[] = [];
  const sink: Sink = {
    name: 'patient',
    async deliver(album, signal) {
      await sleep(150);
      calls.push({ files: album.files.length, waiting: (await filesUnder(join(state, 'tmp'))).length });
      return firstValueFrom(from(inner.deliver(album, signal)));
    },
  };
  return { sink, calls };
}

/** Waits until a stopped run has let go of its lock and temp folder (its clean-up is not awaited). */
async function settled(state: string): Promise<void> {
  await vi.waitFor(async () => {
    if ((await readdir(join(state, 'locks'))).length > 0 || (await filesUnder(join(state, 'tmp'))).length > 0) throw new Error('the stopped run did not clean up within 2 s');
  }, { timeout: 2_000, interval: 20 });
}

describe('backpressure through the whole pipeline', () => {
  let workspace: Workspace;

  beforeEach(async () => {
    workspace = await createWorkspace();
  });

  afterEach(async () => {
    await removeWorkspace(workspace);
  });

  it.each([
    ['zip', 'docs.zip', writeZip],
    ['tar.gz', 'docs.tar.gz', writeTarGz],
  ] as const)('reads no further into a %s than the first album when the consumer stops after it, with no album ahead', async (_, name, write) => {
    const archive = join(workspace.root, name);
    await write(archive, files);
    const { sink, calls } = await patientSink(workspace.out, workspace.state);
    const seen: Step['kind'][] = [];
    await firstValueFrom(
      send(archive, { sink, state: workspace.state, minFree: 1, albumsAhead: 0 }).pipe(
        tap((step) => seen.push(step.kind)),
        filter((step) => step.kind === 'delivered'),
        take(1),
      ),
    );
    await settled(workspace.state);
    expect(calls).toEqual([{ files: 10, waiting: 10 }]);
    expect(seen).toEqual(['opened', 'checkpoint', 'delivered']);
    expect(albumEntries(await readAlbums(workspace.out))).toEqual([files.slice(0, 10).map((file) => file.name)]);

    const rest = await runSend(archive, { sink: await dirSink(workspace.out), state: workspace.state });
    expect(rest.summary).toMatchObject({ delivered: 50, albums: 5, failed: [] });
    expect(albumEntries(await readAlbums(workspace.out)).slice(1).flat()).toEqual(files.slice(10).map((file) => file.name));
  });

  it.each([
    ['zip', 'docs.zip', writeZip],
    ['tar.gz', 'docs.tar.gz', writeTarGz],
  ] as const)('reads one album ahead into a %s and no further, and the next run sends that album', async (_, name, write) => {
    const archive = join(workspace.root, name);
    await write(archive, files);
    const { sink, calls } = await patientSink(workspace.out, workspace.state);
    const seen: Step['kind'][] = [];
    await firstValueFrom(
      send(archive, { sink, state: workspace.state, minFree: 1 }).pipe(
        tap((step) => seen.push(step.kind)),
        filter((step) => step.kind === 'delivered'),
        take(1),
      ),
    );
    await settled(workspace.state);
    // While the first album was delivered, the second was read and written, and nothing more.
    expect(calls[0]).toEqual({ files: 10, waiting: 20 });
    expect(seen).toEqual(['opened', 'delivering', 'checkpoint', 'delivered']);
    expect(albumEntries(await readAlbums(workspace.out))).toEqual([files.slice(0, 10).map((file) => file.name)]);

    const rest = await runSend(archive, { sink: await dirSink(workspace.out), state: workspace.state });
    expect(rest.summary).toMatchObject({ delivered: 50, albums: 5, failed: [] });
    expect(albumEntries(await readAlbums(workspace.out)).slice(1).flat()).toEqual(files.slice(10).map((file) => file.name));
  });
});
