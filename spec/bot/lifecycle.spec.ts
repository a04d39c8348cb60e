import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { VirtualTimeScheduler } from 'rxjs';
import { Api } from 'telegram';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Job } from '../../src/bot/job.js';
import { JobQueue } from '../../src/bot/jobQueue.js';
import { type HttpServer, startHttpServer } from '../support/httpServer.js';
import { pngBytes } from '../support/media.js';
import { sha256 } from '../support/sampleBytes.js';
import { TelegramServer } from '../support/telegramRecorder.js';
import { createWorkspace, filesUnder, removeWorkspace, type Workspace } from '../support/workspace.js';
import { writeZip } from '../support/zipFixtures.js';
import { type BotHarness, eventually, startTestBot } from './support.js';

const photos = (count: number) => Array.from({ length: count }, (_, i) => ({ name: `p${i}.png`, data: pngBytes(30 + i, 20, i) }));

async function queueText(state: string): Promise<string> {
  return readFile(join(state, 'bot', 'queue.json'), 'utf8');
}

describe('the bot across restarts, low space and signed links', () => {
  let workspace: Workspace;
  const harnesses: BotHarness[] = [];
  let http: HttpServer | undefined;

  beforeEach(async () => {
    workspace = await createWorkspace();
  });

  afterEach(async () => {
    for (const harness of harnesses.splice(0)) await harness.bot.stop();
    await http?.close();
    http = undefined;
    await removeWorkspace(workspace);
  });

  it('stops cleanly mid-job, and on the next start goes on with the job, tells its owner, and sends nothing twice', async () => {
    const archive = join(workspace.root, 'big.zip');
    const files = photos(30);
    await writeZip(archive, files);
    const server = new TelegramServer();
    const first = await startTestBot(workspace.state, { server, settings: { albumSize: 5 } });
    harnesses.push(first);
    first.recorder.onRequest = (request) => (request instanceof Api.messages.SendMultiMedia ? sleep(50) : undefined);
    first.say(`/send ${archive}`);
    await eventually(() => server.messages.length >= 10, 'two albums');
    await first.bot.stop();
    harnesses.pop();
    const sentBefore = server.messages.length;
    expect(sentBefore).toBeLessThan(30);
    const stopped = JSON.parse(await queueText(workspace.state)) as { jobs: Job[] };
    expect(stopped.jobs[0]!.state).toBe('running');
    expect(await filesUnder(join(workspace.state, 'tmp'))).toEqual([]);
    expect(await filesUnder(join(workspace.state, 'locks'))).toEqual([]);

    const second = await startTestBot(workspace.state, { server, settings: { albumSize: 5 } });
    harnesses.push(second);
    const restarted = await second.reply(/^I restarted: going on with #1 big\.zip/);
    // What the manifest confirmed: an album Telegram took as the bot stopped may not be among them.
    const before = Number(/^I restarted: going on with #1 big\.zip \((\d+) entries were delivered before\)\.$/.exec(restarted.text)?.[1]);
    expect(before).toBeGreaterThanOrEqual(5);
    expect(before).toBeLessThanOrEqual(server.messages.length);
    expect(before % 5).toBe(0);
    await second.reply(/#1 big\.zip: done/);
    expect(server.messages.map((message) => message.sha256).sort()).toEqual(files.map((file) => sha256(file.data)).sort());
  });

  it('tells the owner of a job that ended as the bot stopped, before its report went out, at the next start', async () => {
    const queue = await JobQueue.open(workspace.state);
    const job = await queue.add({ source: '/x/ended.zip', name: 'ended.zip', chat: { kind: 'user', id: '4242', accessHash: '99' } });
    await queue.update(job, { state: 'done', progress: { delivered: 6, deliveredBytes: 600, albums: 1, skipped: 0, failed: 0 }, reportPending: true });
    const harness = await startTestBot(workspace.state);
    harness.say('/queue');
    await harness.reply(/^I restarted\. ✓ #1 ended\.zip: 6 delivered, 0 skipped, 0 failed \(it ended as I stopped\)\.$/);
    await harness.reply(/^✓ #1 ended\.zip/);
    harnesses.push(harness);
    expect(JSON.parse(await queueText(workspace.state)).jobs[0]).not.toHaveProperty('reportPending');
  });

  it('tells its owner when it waits for disk space and when it goes on, checking again in (virtual) time', async () => {
    const archive = join(workspace.root, 'tight.zip');
    await writeZip(archive, photos(3));
    let free = 500_000;
    const probes: number[] = [];
    const scheduler = new VirtualTimeScheduler();
    const harness = await startTestBot(workspace.state, {
      probe: async () => {
        probes.push(free);
        return { free, size: 64_000_000_000 };
      },
      scheduler,
    });
    harnesses.push(harness);
    harness.say(`/send ${archive}`);
    const paused = await harness.reply(/^Paused tight\.zip/);
    expect(paused.text).toBe(
      `Paused tight.zip: 500 kB free on the disk of ${workspace.state}, need 1.0 MB (1.0 MB kept free plus the next file). Checking again every 30 s.`,
    );
    await sleep(300);
    // Nothing goes on until the 30 s have passed, however long the wall clock runs.
    expect(probes).toHaveLength(1);
    expect(harness.replies().some((text) => text.text.startsWith('Resumed'))).toBe(false);
    free = 64_000_000_000;
    scheduler.flush();
    await harness.reply(/^Resumed tight\.zip: 64 GB free\.$/);
    await harness.reply(/#1 tight\.zip: done/);
    expect(harness.server.messages).toHaveLength(3);
  });

  it('never writes a signed link\'s token to disk or to its log, and asks for the link again after a restart', async () => {
    http = await startHttpServer();
    const files = photos(4);
    const archive = join(workspace.root, 'signed.zip');
    await writeZip(archive, files);
    http.serve('/dl/signed.zip', await readFile(archive));
    const link = `${http.url('/dl/signed.zip')}?token=SECRET-TOKEN-123`;
    const server = new TelegramServer();
    const first = await startTestBot(workspace.state, { server });
    harnesses.push(first);
    first.say('/pause');
    await first.reply(/^Paused: no job starts until \/resume\.$/);
    first.say(link);
    await first.reply(/^Queued #1 http:\/\/127\.0\.0\.1:\d+\/dl\/signed\.zip\?…, paused: \/resume to start\.$/);
    await first.bot.stop();
    harnesses.pop();
    expect(await queueText(workspace.state)).not.toContain('SECRET');
    expect(JSON.stringify(first.logs)).not.toContain('SECRET');

    const second = await startTestBot(workspace.state, { server });
    harnesses.push(second);
    await second.reply(/^I restarted\. #1 .* is waiting; its link may hold a token, which I never keep on disk: send the link again to go on\.$/);
    second.say('/resume');
    await second.reply(/^Going on\.$/);
    await sleep(200);
    expect(server.messages).toHaveLength(0);
    second.say(link);
    await second.reply(/^Thanks: #1 .* goes on\.$/);
    await second.reply(/#1 .*: done/);
    expect(server.messages.map((message) => message.sha256).sort()).toEqual(files.map((file) => sha256(file.data)).sort());
    expect(await queueText(workspace.state)).not.toContain('SECRET');
    const manifests = await filesUnder(join(workspace.state, 'manifests'));
    for (const name of manifests) expect(await readFile(join(workspace.state, 'manifests', name), 'utf8')).not.toContain('SECRET');
  });

  it('runs two jobs at once with --jobs 2', async () => {
    for (const name of ['a', 'b']) await writeZip(join(workspace.root, `${name}.zip`), photos(10));
    const harness = await startTestBot(workspace.state, { jobs: 2, settings: { albumSize: 2 } });
    harnesses.push(harness);
    let concurrent = 0;
    let most = 0;
    harness.recorder.onRequest = async (request) => {
      if (!(request instanceof Api.messages.SendMultiMedia)) return;
      concurrent++;
      most = Math.max(most, concurrent);
      await sleep(40);
      concurrent--;
    };
    harness.say(`/send ${join(workspace.root, 'a.zip')}`);
    harness.say(`/send ${join(workspace.root, 'b.zip')}`);
    await harness.reply(/^Queued #2 b\.zip, starting now\.$/);
    await harness.reply(/#1 a\.zip: done/);
    await harness.reply(/#2 b\.zip: done/);
    expect(most).toBe(2);
  });
});
