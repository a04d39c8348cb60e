import { createCipheriv, createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Job } from '../../src/bot/job.js';
import { startHttpServer, type HttpServer } from '../support/httpServer.js';
import { pngBytes } from '../support/media.js';
import { sha256, textBytes } from '../support/sampleBytes.js';
import type { TelegramServer } from '../support/telegramRecorder.js';
import { createWorkspace, filesUnder, lockReleased, removeWorkspace, type Workspace } from '../support/workspace.js';
import { writeZip } from '../support/zipFixtures.js';
import { crashSeed, seededRandom } from '../resume/seededRandom.js';
import type { BotProcessPlan } from './botProcess.js';
import { type ChildBot, killChildBots, startChildBot } from './childBot.js';
import { owner } from './support.js';
import { loadTelegram, partsLogOf } from './telegramFile.js';

const albumSize = 4;
/** Over 10 MiB, so that it goes with `upload.saveBigFilePart`, in 22 parts of 512 KiB. */
const bigSize = 11 * 1024 * 1024;
const bigParts = 22;
const seed = crashSeed();
const random = seededRandom(seed);
const randomKills = random.int(3, 5);

/**
 * Incompressible bytes that differ in every part, made quickly: the AES-256-CTR keystream under a
 * key made from `seed` (`pseudoRandomBytes` takes seconds for this size).
 */
function bigBytes(length: number, seed: string): Buffer {
  const cipher = createCipheriv('aes-256-ctr', createHash('sha256').update(seed).digest(), Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(length)), cipher.final()]);
}

/** Photos `p<from>.png` on: small PNGs that differ from each other. */
const photos = (from: number, count: number) => Array.from({ length: count }, (_, i) => ({ name: `photos/p${from + i}.png`, data: pngBytes(30 + from + i, 20, from + i) }));

/** An archive's files: photos, then a document over 10 MiB with three small ones (one album), then photos. */
function archiveFiles(photosBefore: number, photosAfter: number): { name: string; data: Buffer; compress?: boolean }[] {
  return [
    ...photos(0, photosBefore),
    { name: 'backup/big.bin', data: bigBytes(bigSize, 'big'), compress: false },
    ...Array.from({ length: 3 }, (_, i) => ({ name: `backup/notes-${i}.txt`, data: textBytes(2000 + i, `n${i}`) })),
    ...photos(photosBefore, photosAfter),
  ];
}

/** The files' SHA-256s, sorted: what the owner's chat must hold in the end, each once. */
const digests = (files: readonly { data: Buffer }[]) => files.map((file) => sha256(file.data)).sort();

/** The SHA-256s of what was posted in the owner's chat, sorted. */
const posted = (server: TelegramServer) =>
  server.messages
    .filter((message) => message.peer === owner.id.toString())
    .map((message) => message.sha256)
    .sort();

/** The file ids of big uploads the server holds parts of. */
const bigUploadsOf = (server: TelegramServer) => [...server.totalParts].filter(([, total]) => total === bigParts).map(([fileId]) => fileId);

/** Whatever run it was: posted files are the archive's, none twice. */
function expectNothingTwice(server: TelegramServer, files: readonly { data: Buffer }[], context: string): void {
  const all = new Set(digests(files));
  const sent = posted(server);
  expect(sent.filter((digest, i) => digest === sent[i - 1]), `${context}: posted twice`).toEqual([]);
  expect(sent.filter((digest) => !all.has(digest)), `${context}: not in the archive`).toEqual([]);
}

describe('the bot killed mid-job', () => {
  let workspace: Workspace;
  let serverFile: string;
  let http: HttpServer | undefined;

  beforeEach(async () => {
    workspace = await createWorkspace();
    serverFile = join(workspace.root, 'telegram.json');
  });

  afterEach(async () => {
    await killChildBots();
    await http?.close();
    http = undefined;
    await removeWorkspace(workspace);
  });

  const start = (plan: Omit<BotProcessPlan, 'state' | 'serverFile'> = {}): ChildBot =>
    startChildBot({ state: workspace.state, serverFile, ...plan, settings: { albumSize, ...plan.settings } });
  const ready = (bot: ChildBot) => bot.next((event) => ('ready' in event ? true : undefined), 'the bot to start');
  const telegram = () => loadTelegram(serverFile);
  /** Parts of an upload that reached Telegram, counting every time one was sent. */
  const partsSent = (fileId: string) => partsLogOf(serverFile).filter(([id]) => id === fileId).length;
  const jobs = async () => (JSON.parse(await readFile(join(workspace.state, 'bot', 'queue.json'), 'utf8')) as { jobs: Job[] }).jobs;
  /** Files in the state folder that hold `secret`. */
  const holding = async (secret: string) => {
    const files = await filesUnder(workspace.state);
    const texts = await Promise.all(files.map((file) => readFile(join(workspace.state, file), 'utf8')));
    return files.filter((_, i) => texts[i]!.includes(secret));
  };

  /** Waits for a run to end, and checks it was killed rather than ending on its own. */
  const killed = async (bot: ChildBot, context: string) => {
    const exit = await bot.exited;
    expect(exit.signal, `${context}\nstderr: ${exit.stderr}`).toBe('SIGKILL');
  };

  /** The end: the report, every entry posted once, the job `done`, nothing left in `tmp` or `locks`. */
  const expectDone = async (bot: ChildBot, name: string, files: readonly { data: Buffer }[], context: string) => {
    const report = await bot.text(new RegExp(`^✅ #1 ${name.replace(/[.?]/g, '\\$&')}: done`));
    expect(report, context).toMatch(new RegExp(`${files.length} delivered in \\d+ albums, 0 skipped, 0 failed\\.$`));
    await lockReleased(workspace.state);
    expect((await bot.stop()).code, context).toBe(0);
    expect(posted(telegram()), context).toEqual(digests(files));
    expect(await jobs()).toMatchObject([{ id: 1, state: 'done', progress: { delivered: files.length, skipped: 0, failed: 0 } }]);
    expect(await filesUnder(join(workspace.state, 'tmp'))).toEqual([]);
    expect(await readdir(join(workspace.state, 'locks'))).toEqual([]);
  };

  it('goes on after a kill as album 1 lands and one mid-way through a big upload after album 2, posting every entry once', async () => {
    const archive = join(workspace.root, 'crash.zip');
    const files = archiveFiles(8, 6);
    await writeZip(archive, files);

    // Telegram posts album 1; the answer never reaches the bot.
    const first = start({ killAfterAlbum: 1 });
    await ready(first);
    first.say(`/send ${archive}`);
    await first.text(/^Queued #1 crash\.zip, starting now\.$/);
    await killed(first, 'run 1');
    expect(first.events).toContainEqual({ crash: 'after album 1' });
    expect(posted(telegram())).toEqual(digests(files.slice(0, 4)));
    expect(await jobs()).toMatchObject([{ id: 1, state: 'running' }]);

    // Album 1 again (Telegram knows its random_ids), album 2, then killed with the big file part way up.
    // The upload (22 parts, 4 at a time) outlasts the 2 s between saves of its record, and starts
    // late enough after the run's first save that its record is saved part way.
    const second = start({ killAfterBigPart: 4, delays: { 'messages.SendMultiMedia': 600, 'upload.SaveBigFilePart': 500 } });
    // Telegram has album 1, but the bot never heard so.
    await second.text(/^I restarted: going on with #1 crash\.zip \(0 entries were delivered before\)\.$/);
    await killed(second, 'run 2');
    expect(second.events.filter((event) => 'crash' in event)).toEqual([{ crash: expect.stringMatching(/^after big part \d+$/) }]);
    const midway = telegram();
    expect(posted(midway)).toEqual(digests(files.slice(0, 8)));
    const [bigUpload, ...otherBigUploads] = bigUploadsOf(midway);
    expect(otherBigUploads).toEqual([]);
    const partsBeforeKill = midway.parts.get(bigUpload!)!.size;
    expect(partsBeforeKill).toBeGreaterThanOrEqual(4);
    expect(partsBeforeKill).toBeLessThan(bigParts);

    const third = start();
    await third.text(/^I restarted: going on with #1 crash\.zip \(8 entries were delivered before\)\.$/);
    await expectDone(third, 'crash.zip', files, 'run 3');
    // The upload went on under the same file id, without sending every part again.
    expect(bigUploadsOf(telegram())).toEqual([bigUpload]);
    expect(partsSent(bigUpload!) - partsBeforeKill).toBeLessThan(bigParts);
    const texts = telegram().texts.filter((text) => text.peer === owner.id.toString()).map((text) => text.text.replace(/: done in .*/s, ': done'));
    expect(texts).toEqual([
      'Queued #1 crash.zip, starting now.',
      'I restarted: going on with #1 crash.zip (0 entries were delivered before).',
      'I restarted: going on with #1 crash.zip (8 entries were delivered before).',
      '✅ #1 crash.zip: done',
    ]);
  }, 40_000);

  it(`goes on after ${randomKills} kills at random moments, posting every entry once (replay with CRASH_SEED=${seed})`, async () => {
    const archive = join(workspace.root, 'random.zip');
    // Twelve albums: each run posts at least one new one, at most two, so five runs cannot finish.
    const files = archiveFiles(24, 20);
    await writeZip(archive, files);
    const delays = { 'messages.SendMultiMedia': 150, 'upload.SaveBigFilePart': 40 };
    const history: string[] = [];
    const context = () => `CRASH_SEED=${seed}; runs: ${history.join('; ')}`;
    let postedAtKill = 0;
    /** The restart notice, which never claims more delivered than Telegram has. */
    const restarted = async (bot: ChildBot) => {
      const notice = await bot.text(/^I restarted: going on with #1 random\.zip( \((\d+) entries were delivered before\))?\.$/);
      const claimed = Number(/\((\d+) entries/.exec(notice)?.[1] ?? 0);
      expect(claimed, `${context()}: ${notice}`).toBeLessThanOrEqual(postedAtKill);
    };

    for (let run = 1; run <= randomKills; run++) {
      const bot = start({ delays });
      await ready(bot);
      if (run === 1) {
        bot.say(`/send ${archive}`);
        await bot.text(/^Queued #1 random\.zip, starting now\.$/);
      } else {
        await restarted(bot);
      }
      // Something new on Telegram, then a kill wherever the next album has got to.
      await bot.next((event) => ('posted' in event && event.posted > postedAtKill ? true : undefined), 'a new album', 20_000);
      const after = random.int(0, 250);
      await sleep(after);
      bot.kill();
      await killed(bot, context());
      const job = (await jobs())[0]!;
      const server = telegram();
      postedAtKill = posted(server).length;
      history.push(`killed ${after} ms after an album, ${postedAtKill} posted, job ${job.state}`);
      expectNothingTwice(server, files, context());
      // Killed mid-job, so the next start says it goes on.
      expect(job.state, context()).toBe('running');
    }

    const last = start({ delays });
    await restarted(last);
    await expectDone(last, 'random.zip', files, context());
  }, 50_000);

  it('keeps the token of a /send link off the disk across a kill, and goes on once the owner sends the link again', async () => {
    const files = photos(0, 10);
    const archive = join(workspace.root, 'linked.zip');
    await writeZip(archive, files);
    http = await startHttpServer();
    http.serve('/linked.zip', await readFile(archive));
    // The server wants its token: a run that lost it could not read a byte.
    http.fault({ status: 403 }, (request) => !request.url.includes('token=SECRET'), Infinity);
    const link = `${http.url('/linked.zip')}?token=SECRET`;
    const name = `${http.url('/linked.zip')}?…`;

    const first = start({ killAfterAlbum: 1 });
    await ready(first);
    first.say(`/send ${link}`);
    await first.text(/^Queued #1 .*linked\.zip\?…, starting now\.$/);
    await killed(first, 'run 1');
    expect(posted(telegram())).toEqual(digests(files.slice(0, 4)));
    expect(await jobs()).toMatchObject([{ id: 1, state: 'running', secretLink: true, source: http.url('/linked.zip') }]);
    expect(await holding('SECRET')).toEqual([]);

    const second = start();
    await second.text(/^I restarted\. #1 .*linked\.zip\?… was running; its link may hold a token, which I never keep on disk: send the link again to go on\.$/);
    second.say(link);
    await second.text(/^Thanks: #1 .*linked\.zip\?… goes on\.$/);
    await expectDone(second, name, files, 'run 2');

    expect(await holding('SECRET')).toEqual([]);
    // Nor in anything the bot logged or said.
    expect(JSON.stringify([...first.events, ...second.events])).not.toContain('SECRET');
  }, 30_000);
});
