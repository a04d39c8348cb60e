import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Job } from '../../src/bot/job.js';
import { PasswordNeededError } from '../../src/errors.js';
import type { Archive } from '../../src/sources/archive.js';
import { openArchive } from '../../src/sources/openArchive.js';
import { pngBytes } from '../support/media.js';
import { sha256 } from '../support/sampleBytes.js';
import { createWorkspace, filesUnder, removeWorkspace, type Workspace } from '../support/workspace.js';
import { writeZip } from '../support/zipFixtures.js';
import { TelegramServer } from '../support/telegramRecorder.js';
import { type BotHarness, startTestBot } from './support.js';

/** An archive that cannot even be listed without `password`, as a 7z or RAR whose names are encrypted; a zip once it is given. */
const lockedOpen = (password: string) => async (source: string, given: string | undefined): Promise<Archive> => {
  if (given !== password) throw new PasswordNeededError(basename(source), given !== undefined);
  return openArchive(source, basename(source));
};

const photos = (count: number, seed = 0) => Array.from({ length: count }, (_, i) => ({ name: `photos/p${i}.png`, data: pngBytes(30 + i, 20, seed + i) }));

async function queueFile(state: string): Promise<{ jobs: Job[] }> {
  return JSON.parse(await readFile(join(state, 'bot', 'queue.json'), 'utf8')) as { jobs: Job[] };
}

describe('the bot with 7z, RAR, compressed tars and volume sets', () => {
  let workspace: Workspace;
  let harness: BotHarness | undefined;

  beforeEach(async () => {
    workspace = await createWorkspace();
  });

  afterEach(async () => {
    await harness?.bot.stop();
    harness = undefined;
    await removeWorkspace(workspace);
  });

  it('takes a forwarded .7z, .rar or .tar.xz as an archive to unpack, by its name and type', async () => {
    // The bot goes by name and type; the pipeline by the first bytes, here a zip's whatever the name.
    const archive = join(workspace.root, 'bytes.zip');
    const files = photos(2);
    await writeZip(archive, files);
    const bytes = await readFile(archive);
    harness = await startTestBot(workspace.state);
    const sent = [
      { fileName: 'holiday.7z', mimeType: 'application/x-7z-compressed' },
      { fileName: 'holiday.rar', mimeType: 'application/vnd.rar' },
      { fileName: 'holiday.tar.xz', mimeType: 'application/x-xz' },
    ];
    for (const [i, { fileName, mimeType }] of sent.entries()) {
      harness.forward(harness.server.postDocument(bytes, { fileName }), { mimeType });
      await harness.reply(new RegExp(`^Queued #${i + 1} ${fileName.replaceAll('.', '\\.')}, `));
    }
    for (const [i, { fileName }] of sent.entries()) await harness.reply(new RegExp(`^✅ #${i + 1} ${fileName.replaceAll('.', '\\.')}: done`));
    expect((await queueFile(workspace.state)).jobs.map((job) => [job.name, job.state])).toEqual(sent.map(({ fileName }) => [fileName, 'done']));
    expect(harness.replies().map((reply) => reply.text).join('\n')).not.toMatch(/not supported/);
  });

  it('answers a later volume of a set sent alone with what to do, once per set, and passes nothing on', async () => {
    harness = await startTestBot(workspace.state);
    for (const fileName of ['film.part2.rar', 'film.part3.rar']) {
      harness.forward(harness.server.postDocument(Buffer.from('Rar!\x1a\x07\x01\x00 and the rest', 'latin1'), { fileName }), { mimeType: 'application/vnd.rar' });
    }
    const answer = await harness.reply(/^film\.part2\.rar is volume 2 of a RAR set/);
    expect(answer.text).toBe(
      'film.part2.rar is volume 2 of a RAR set, and its first volume, film.part1.rar, has not come. ' +
        'Send it too and I will unpack the set, or send me the set packed as one file.',
    );
    harness.forward(harness.server.postDocument(Buffer.from('7z'), { fileName: 'photos.7z.002' }), { mimeType: 'application/x-7z-compressed' });
    await harness.reply(/^photos\.7z\.002 is volume 2 of a 7z set, and its first volume, photos\.7z\.001, has not come\./);
    // film.part3.rar, of the set answered already, got no answer of its own; and nothing went out as a file.
    await sleep(300);
    expect(harness.replies().filter((reply) => /is volume/.test(reply.text))).toHaveLength(2);
    expect(harness.server.messages).toEqual([]);
    expect(harness.bot.queue.jobs).toEqual([]);
  });

  it('asks for the password of an archive whose names are encrypted, says when it is wrong, and reads it with the right one', async () => {
    const archive = join(workspace.root, 'secret.7z');
    const files = photos(3);
    await writeZip(archive, files);
    const tried: (string | undefined)[] = [];
    const open = (source: string, password: string | undefined) => {
      tried.push(password);
      return lockedOpen('open sesame')(source, password);
    };
    harness = await startTestBot(workspace.state, { open });
    harness.say(`/send ${archive}`);
    await harness.reply(/^#1 secret\.7z is password-protected, its file names too: reply \/pass <password>$/);
    expect(await queueFile(workspace.state)).toMatchObject({ jobs: [{ id: 1, state: 'failed', lockedArchive: true }] });

    let since = harness.replies().length;
    const wrongId = harness.say('/pass not it');
    await harness.reply(/^Trying the password on #1 secret\.7z\.$/, since);
    await harness.reply(/^The password is wrong for #1 secret\.7z: reply \/pass <password>$/, since);
    expect(harness.server.messages).toEqual([]);

    since = harness.replies().length;
    const rightId = harness.say('/pass open sesame');
    await harness.reply(/^Trying the password on #1 secret\.7z\.$/, since);
    await harness.reply(/^✅ #1 secret\.7z: done.*3 delivered/, since);
    expect(harness.server.messages.map((message) => message.sha256).sort()).toEqual(files.map((file) => sha256(file.data)).sort());
    expect(tried).toEqual([undefined, 'not it', 'open sesame']);
    const { jobs } = await queueFile(workspace.state);
    expect(jobs).toMatchObject([{ id: 1, state: 'done' }]);
    expect(jobs[0]!.lockedArchive).toBeUndefined();

    // The messages holding the passwords are deleted from the chat, and nothing keeps the words.
    expect(harness.server.deleted).toEqual(expect.arrayContaining([wrongId, rightId]));
    const kept = [await readFile(join(workspace.state, 'bot', 'queue.json'), 'utf8'), JSON.stringify(harness.logs)];
    for (const name of await filesUnder(join(workspace.state, 'manifests'))) kept.push(await readFile(join(workspace.state, 'manifests', name), 'utf8'));
    for (const text of kept) {
      expect(text).not.toContain('open sesame');
      expect(text).not.toContain('not it');
    }
  });

  it('still takes /pass for such an archive after a restart: the wait is kept, the password never is', async () => {
    const archive = join(workspace.root, 'kept.rar');
    const files = photos(2, 5);
    await writeZip(archive, files);
    const server = new TelegramServer();
    const open = lockedOpen('swordfish');
    const first = await startTestBot(workspace.state, { server, open });
    first.say(`/send ${archive}`);
    await first.reply(/^#1 kept\.rar is password-protected, its file names too: reply \/pass <password>$/);
    await first.bot.stop();

    harness = await startTestBot(workspace.state, { server, open });
    const since = harness.replies().length;
    harness.say('/pass swordfish');
    await harness.reply(/^Trying the password on #1 kept\.rar\.$/, since);
    await harness.reply(/^✅ #1 kept\.rar: done.*2 delivered/, since);
    expect(server.messages.map((message) => message.sha256).sort()).toEqual(files.map((file) => sha256(file.data)).sort());
  });
});
