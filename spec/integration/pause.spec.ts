import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BehaviorSubject, lastValueFrom, tap } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { send } from '../../src/pipeline.js';
import { dirSink } from '../../src/sinks/dirSink.js';
import type { Sink } from '../../src/sinks/sink.js';
import type { Step } from '../../src/step.js';
import { stepsOf } from '../support/runSend.js';
import { jpegBytes, sha256, textBytes } from '../support/sampleBytes.js';
import { albumEntries, createWorkspace, deliveredDigests, filesUnder, readAlbums, removeWorkspace, type Workspace } from '../support/workspace.js';
import { writeZip } from '../support/zipFixtures.js';

const doc = (n: number) => ({ name: `d${n}.txt`, data: textBytes(4_000, `d${n}`) });
const photo = (n: number) => ({ name: `p${String(n).padStart(2, '0')}.jpg`, data: jpegBytes(6_000, `p${n}`) });
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/**
 * Three documents, then photos: at the seventh photo the files waiting reach ten, so the documents
 * go early as the first album and the seven photos wait in their group.
 */
const files = [...range(1, 3).map(doc), ...range(1, 12).map(photo), doc(4), doc(5)];
const names = (list: readonly { name: string }[]) => list.map((file) => file.name);

/** Waits until `done` holds, for at most 5 s. */
async function until(what: string, done: () => boolean): Promise<void> {
  await vi.waitFor(() => {
    if (!done()) throw new Error(`timed out waiting until ${what}`);
  }, { timeout: 5_000, interval: 20 });
}

describe('pausing and resuming a run, as the bot does', () => {
  let workspace: Workspace;

  beforeEach(async () => {
    workspace = await createWorkspace();
  });

  afterEach(async () => {
    await removeWorkspace(workspace);
  });

  it('finishes the albums under way, keeps nothing on disk while held, and delivers every entry once after resuming', async () => {
    const archive = join(workspace.root, 'media.zip');
    await writeZip(archive, files);
    const paused = new BehaviorSubject(false);
    const folder = await dirSink(workspace.out);
    // /pause arrives while the first album is on its way.
    const sink: Sink = {
      ...folder,
      deliver(album, signal, context) {
        if (!paused.value && album.files.some((file) => file.entry.name === 'd1.txt')) paused.next(true);
        return folder.deliver(album, signal, context);
      },
    };
    const steps: Step[] = [];
    const run = lastValueFrom(send(archive, { sink, state: workspace.state, minFree: 1_000_000, paused }).pipe(tap((step) => steps.push(step))));

    await until('the waiting photos are delivered behind the held entry', () => {
      const held = steps.findIndex((step) => step.kind === 'held');
      return held >= 0 && steps.slice(held).some((step) => step.kind === 'checkpoint');
    });
    await sleep(300);
    const stepsWhileHeld = steps.length;
    expect(stepsOf(steps, 'held').map((step) => step.entry.name)).toEqual(['p08.jpg']);
    expect(albumEntries(await readAlbums(workspace.out))).toEqual([names(files.slice(0, 3)), names(files.slice(3, 10))]);
    expect(await deliveredDigests(workspace.out)).toEqual(
      files
        .slice(0, 10)
        .map((file) => ({ entry: file.name, sha256: sha256(file.data) }))
        .sort((a, b) => a.entry.localeCompare(b.entry)),
    );
    expect(await filesUnder(join(workspace.state, 'tmp'))).toEqual([]);
    expect(steps.length).toBe(stepsWhileHeld);

    paused.next(false);
    await run;
    expect(stepsOf(steps, 'released').map((step) => step.entry.name)).toEqual(['p08.jpg']);
    expect(albumEntries(await readAlbums(workspace.out))).toEqual([
      names(files.slice(0, 3)),
      names(files.slice(3, 10)),
      names(files.slice(10, 15)),
      names(files.slice(15)),
    ]);
    expect(await deliveredDigests(workspace.out)).toEqual(
      files.map((file) => ({ entry: file.name, sha256: sha256(file.data) })).sort((a, b) => a.entry.localeCompare(b.entry)),
    );
  });
});
