import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Api } from 'telegram';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { send } from '../../src/pipeline.js';
import { dirSink } from '../../src/sinks/dirSink.js';
import { openTelegramArchive } from '../../src/sources/telegram/openTelegramArchive.js';
import type { Step } from '../../src/step.js';
import { pseudoRandomBytes } from '../support/sampleBytes.js';
import { TelegramRecorder, TelegramServer } from '../support/telegramRecorder.js';
import { createWorkspace, filesUnder, removeWorkspace, type Workspace } from '../support/workspace.js';
import { writeZip } from '../support/zipFixtures.js';

const files = [
  { name: 'a.bin', data: pseudoRandomBytes(300_000, 'stop-a'), compress: false },
  { name: 'b.bin', data: pseudoRandomBytes(200_000, 'stop-b'), compress: false },
];

describe('a run reading a zip posted in a Telegram chat, stopped in a flood wait', () => {
  let workspace: Workspace;
  let server: TelegramServer;
  let messageId: number;

  beforeEach(async () => {
    workspace = await createWorkspace();
    await writeZip(join(workspace.root, 'posted.zip'), files);
    server = new TelegramServer();
    messageId = server.postDocument(await readFile(join(workspace.root, 'posted.zip'))).messageId;
  });

  afterEach(async () => {
    await removeWorkspace(workspace);
  });

  /**
   * Runs `send` over the recorder with real waits, stops it once `waiting()` holds, and gives the
   * milliseconds from the stop to the run's completion, and the steps it emitted.
   */
  async function stopWhen(recorder: TelegramRecorder, waiting: () => boolean): Promise<{ elapsed: number; steps: Step[] }> {
    const connection = { client: recorder.client, isBot: false, premium: false, close: async () => {} };
    const stop = new AbortController();
    const steps: Step[] = [];
    const path = `tg:me/${messageId}`;
    const done = new Promise<void>((resolve, reject) => {
      send(path, {
        sink: { name: 'dir', deliver: () => Promise.reject(new Error('nothing is delivered in this spec')) },
        state: workspace.state,
        minFree: 1,
        signal: stop.signal,
        open: (archive) => openTelegramArchive(archive, archive, { state: workspace.state, connect: async () => connection, signal: stop.signal }),
      }).subscribe({ next: (step) => steps.push(step), error: reject, complete: resolve });
    });
    await vi.waitFor(() => expect(waiting()).toBe(true), { timeout: 5_000, interval: 5 });
    await sleep(20);
    const start = performance.now();
    stop.abort();
    await done;
    return { elapsed: performance.now() - start, steps };
  }

  it('ends at once when stopped in a flood wait on an entry\'s local header, letting go of the lock and temp files', async () => {
    const recorder = new TelegramRecorder(server);
    // The first entry's local header is at offset 0, as the format read was: the second request there.
    const atStart = () => recorder.of<Api.upload.GetFile>('upload.GetFile').filter((request) => Number(request.offset.toString()) === 0);
    recorder.fail('upload.GetFile', 420, 'FLOOD_WAIT_30', { where: () => atStart().length === 2 });
    const { elapsed, steps } = await stopWhen(recorder, () => atStart().length === 2);
    expect(elapsed).toBeLessThan(500);
    expect(steps.map((step) => step.kind)).toEqual(['opened']);
    expect(await readdir(join(workspace.state, 'locks'))).toEqual([]);
    expect(await filesUnder(join(workspace.state, 'tmp'))).toEqual([]);
  });

  it('ends at once when stopped in a flood wait while the message is being fetched', async () => {
    const recorder = new TelegramRecorder(server);
    recorder.fail('messages.GetMessages', 420, 'FLOOD_WAIT_30');
    const { elapsed, steps } = await stopWhen(recorder, () => recorder.of('messages.GetMessages').length > 0);
    expect(elapsed).toBeLessThan(500);
    expect(steps).toEqual([]);
    expect(await readdir(join(workspace.state, 'locks'))).toEqual([]);
  });
});
