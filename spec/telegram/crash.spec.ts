import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Api } from 'telegram';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { send } from '../../src/pipeline.js';
import { pngBytes } from '../support/media.js';
import { runSend } from '../support/runSend.js';
import { pseudoRandomBytes, sha256 } from '../support/sampleBytes.js';
import { TelegramRecorder, TelegramServer } from '../support/telegramRecorder.js';
import { createWorkspace, removeWorkspace, type Workspace } from '../support/workspace.js';
import { writeZip } from '../support/zipFixtures.js';
import { lockReleased, manifestOnDisk } from '../support/workspace.js';
import { recordedSink } from './support.js';

/**
 * A crash, in process: when the recorder says Telegram has acted on the chosen request, the run is
 * dropped on the floor (unsubscribed, the answer never comes), as when the phone dies right then.
 * Telegram's side (the {@link TelegramServer}) lives on into the next run. It is not stopped
 * through its signal: a stop saves the manifest once more, which a crash does not.
 */
async function runUntilCrash(archive: string, state: string, recorder: TelegramRecorder, crashAfter: (request: Api.AnyRequest) => boolean): Promise<void> {
  // Four parts in flight: the big upload's crash then comes after five rounds of slow parts, late
  // enough for the manifest to have saved some (at most every 2 s) and before the last part.
  const { sink } = recordedSink(recorder, { partsInFlight: 4 });
  await new Promise<void>((resolve, reject) => {
    const subscription = send(archive, { sink, state, minFree: 1_000_000 }).subscribe({ error: reject, complete: () => reject(new Error('the run ended before the crash')) });
    recorder.onAnswered = (request) => {
      if (!crashAfter(request)) return undefined;
      setImmediate(() => {
        subscription.unsubscribe();
        resolve();
      });
      return 'lose';
    };
  });
  await lockReleased(state);
}

describe('the Telegram sink across a crash', () => {
  let workspace: Workspace;

  beforeEach(async () => {
    workspace = await createWorkspace();
  });

  afterEach(async () => {
    await removeWorkspace(workspace);
  });

  it('sends an album that was in flight again with the same random_ids, and Telegram keeps one copy', async () => {
    const archive = join(workspace.root, 'album.zip');
    const photos = Array.from({ length: 14 }, (_, i) => ({ name: `p${i}.png`, data: pngBytes(40 + i, 30, i) }));
    await writeZip(archive, photos);
    const server = new TelegramServer();
    const first = new TelegramRecorder(server);
    await runUntilCrash(archive, workspace.state, first, (request) => request instanceof Api.messages.SendMultiMedia);
    // Telegram posted the first album; the client never heard, so the manifest still has it in flight.
    expect(server.messages).toHaveLength(10);
    const inFlight = Object.keys(manifestOnDisk(workspace.state).inFlight);
    expect(inFlight).toHaveLength(1);

    const second = new TelegramRecorder(server);
    const { sink } = recordedSink(second);
    const { summary } = await runSend(archive, { sink, state: workspace.state });
    expect(summary).toMatchObject({ delivered: 14, failed: [] });
    const ids = (request: Api.messages.SendMultiMedia) => request.multiMedia.map((single) => String(single.randomId));
    const [before] = first.of<Api.messages.SendMultiMedia>('messages.SendMultiMedia');
    const [again, rest] = second.of<Api.messages.SendMultiMedia>('messages.SendMultiMedia');
    expect(ids(again!)).toEqual(ids(before!));
    expect(rest?.multiMedia).toHaveLength(4);
    // One message per photo, each with the right bytes: nothing lost, nothing twice.
    expect(server.messages).toHaveLength(14);
    expect(server.messages.map((message) => message.sha256).sort()).toEqual(photos.map((photo) => sha256(photo.data)).sort());
  });

  it('goes on with a big upload after a crash, sending only the parts the manifest does not have', async () => {
    const archive = join(workspace.root, 'big.zip');
    const big = { name: 'big.bin', data: pseudoRandomBytes(11 * 1024 * 1024, 'crash'), compress: false };
    await writeZip(archive, [big]);
    const server = new TelegramServer();
    const first = new TelegramRecorder(server);
    // Slow parts, so that upload progress is saved (at most every 2 s) before the crash.
    first.onRequest = () => sleep(400);
    await runUntilCrash(archive, workspace.state, first, () => first.of('upload.SaveBigFilePart').length === 20);
    const record = Object.values(manifestOnDisk(workspace.state).uploads ?? {})[0];
    expect(record).toBeDefined();
    const saved = record!.parts.flatMap(([a, b]) => Array.from({ length: b - a + 1 }, (_, i) => a + i));
    expect(saved.length).toBeGreaterThan(0);
    expect(saved.length).toBeLessThan(22);

    const second = new TelegramRecorder(server);
    const { sink } = recordedSink(second);
    const { summary } = await runSend(archive, { sink, state: workspace.state });
    expect(summary.delivered).toBe(1);
    const parts = second.of<Api.upload.SaveBigFilePart>('upload.SaveBigFilePart');
    expect(new Set(parts.map((part) => part.fileId.toString()))).toEqual(new Set([record!.fileId]));
    expect(parts.map((part) => part.filePart).sort((a, b) => a - b)).toEqual(Array.from({ length: 22 }, (_, i) => i).filter((part) => !saved.includes(part)));
    expect(server.messages).toHaveLength(1);
    expect(server.messages[0]!.sha256).toBe(sha256(big.data));
    // Once delivered, the upload record is gone from the manifest.
    expect(manifestOnDisk(workspace.state).uploads).toBeUndefined();
  });
});
