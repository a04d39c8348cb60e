import { join } from 'node:path';
import { firstValueFrom, from } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SinkError } from '../../src/errors.js';
import { dirSink } from '../../src/sinks/dirSink.js';
import type { Sink } from '../../src/sinks/sink.js';
import type { Album } from '../../src/step.js';
import { runSend, stepsOf } from '../support/runSend.js';
import { jpegBytes, sha256 } from '../support/sampleBytes.js';
import { albumEntries, createWorkspace, deliveredFiles, filesUnder, readAlbums, removeWorkspace, type Workspace } from '../support/workspace.js';
import { writeZip } from '../support/zipFixtures.js';

const files = Array.from({ length: 25 }, (_, i) => ({ name: `p${String(i).padStart(2, '0')}.jpg`, data: jpegBytes(2_000 + i, `sink-${i}`) }));

/**
 * A real folder sink that refuses albums as `refuses` decides, with a {@link SinkError}, and
 * records every call: the album's entries and whether its temp files were all still there.
 */
async function refusingSink(out: string, refuses: (album: Album, call: number) => boolean) {
  const inner = await dirSink(out);
  const calls: string[][] = [];
  const sink: Sink = {
    name: 'refusing',
    async deliver(album, signal) {
      calls.push(album.files.map((file) => file.entry.name));
      if (refuses(album, calls.length)) throw new SinkError('the sink is down', { reason: 'sink-down' });
      return firstValueFrom(from(inner.deliver(album, signal)));
    },
  };
  return { sink, calls };
}

describe('a sink that fails', () => {
  let workspace: Workspace;
  let archive: string;

  beforeEach(async () => {
    workspace = await createWorkspace();
    archive = join(workspace.root, 'photos.zip');
    await writeZip(archive, files);
  });

  afterEach(async () => {
    await removeWorkspace(workspace);
  });

  it('delivers an album when the sink fails twice and then takes it', async () => {
    const { sink, calls } = await refusingSink(workspace.out, (_, call) => call <= 2);
    const { summary, steps } = await runSend(archive, { sink, state: workspace.state, backoff: 1 });
    expect(summary).toMatchObject({ delivered: 25, albums: 3, failed: [] });
    expect(calls).toHaveLength(5);
    expect(calls[0]).toEqual(calls[2]);
    expect(stepsOf(steps, 'undelivered')).toEqual([]);
    const delivered = deliveredFiles(await readAlbums(workspace.out));
    expect(delivered.map((file) => file.sha256)).toEqual(files.map((file) => sha256(file.data)));
    expect(await filesUnder(join(workspace.state, 'tmp'))).toEqual([]);
  });

  it('fails the entries of every album a sink always refuses, after three attempts each, and empties the temp folder', async () => {
    const { sink, calls } = await refusingSink(workspace.out, () => true);
    const { summary, steps } = await runSend(archive, { sink, state: workspace.state, backoff: 1 });
    expect(calls).toHaveLength(9);
    expect(stepsOf(steps, 'undelivered').map((step) => step.attempts)).toEqual([3, 3, 3]);
    expect(summary.delivered).toBe(0);
    expect(summary.failed.map(({ entry, reason }) => ({ entry, reason }))).toEqual(files.map((file) => ({ entry: file.name, reason: 'sink-down' })));
    expect(summary.failed[0]!.detail).toMatch(/refused the album after 3 attempts: the sink is down/);
    expect(await filesUnder(join(workspace.state, 'tmp'))).toEqual([]);
    expect(await filesUnder(workspace.out)).toEqual([]);
  });

  it('goes on to later albums after one the sink refuses', async () => {
    const { sink } = await refusingSink(workspace.out, (album) => album.files.some((file) => file.entry.name === 'p03.jpg'));
    const { summary } = await runSend(archive, { sink, state: workspace.state, backoff: 1 });
    expect(summary.failed.map((item) => item.entry)).toEqual(files.slice(0, 10).map((file) => file.name));
    expect(summary).toMatchObject({ delivered: 15, albums: 2 });
    expect(albumEntries(await readAlbums(workspace.out))).toEqual([files.slice(10, 20).map((file) => file.name), files.slice(20).map((file) => file.name)]);
    expect(await filesUnder(join(workspace.state, 'tmp'))).toEqual([]);
  });
});
