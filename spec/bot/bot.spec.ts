import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Api } from 'telegram';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Job } from '../../src/bot/job.js';
import { pngBytes } from '../support/media.js';
import { mp3Bytes, sha256, textBytes } from '../support/sampleBytes.js';
import { createWorkspace, filesUnder, removeWorkspace, type Workspace } from '../support/workspace.js';
import { writeZip } from '../support/zipFixtures.js';
import { type BotHarness, eventually, owner, startTestBot, stranger } from './support.js';

const photos = (count: number, seed = 0) => Array.from({ length: count }, (_, i) => ({ name: `photos/p${i}.png`, data: pngBytes(30 + i, 20, seed + i) }));

async function queueFile(state: string): Promise<{ paused: boolean; jobs: Job[] }> {
  return JSON.parse(await readFile(join(state, 'bot', 'queue.json'), 'utf8')) as { paused: boolean; jobs: Job[] };
}

describe('the bot', () => {
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

  it('answers nobody but its allowed users, and logs the attempt without the text', async () => {
    harness = await startTestBot(workspace.state);
    harness.say('/send /etc/passwd secret words', stranger);
    harness.say('/help');
    await harness.reply(/I deliver the photos/);
    expect(harness.server.texts.filter((text) => text.peer === stranger.id.toString())).toEqual([]);
    const refused = harness.logs.filter((line) => line.event === 'refused');
    expect(refused).toEqual([{ event: 'refused', fields: { user: stranger.id.toString(), chat: stranger.id.toString() } }]);
    expect(JSON.stringify(harness.logs)).not.toContain('secret words');
  });

  it('answers commands in a group, from allowed users only, and leaves the members\' other messages alone', async () => {
    harness = await startTestBot(workspace.state);
    harness.sayInGroup(555, 'look at this https://example.com/a.zip');
    harness.sayInGroup(555, '/help', stranger);
    harness.sayInGroup(555, '/help');
    await eventually(() => harness!.server.texts.find((text) => text.peer === '-555'), 'an answer in the group');
    await sleep(100);
    expect(harness.server.texts.map((text) => [text.peer, text.text.slice(0, 12)])).toEqual([['-555', 'I deliver th']]);
    expect(harness.logs.filter((line) => line.event === 'refused')).toEqual([{ event: 'refused', fields: { user: stranger.id.toString(), chat: '-555' } }]);
  });

  it('gives short, specific answers to unknown commands and malformed arguments', async () => {
    harness = await startTestBot(workspace.state);
    harness.say('/frobnicate');
    await harness.reply(/^I don't know \/frobnicate\. \/help lists what I can do\.$/);
    harness.say('/cancel soon');
    await harness.reply(/^"soon" is not a job number \/cancel <job>; \/queue lists them$/);
    harness.say('/retry 12');
    await harness.reply(/^No job #12; \/queue lists them\.$/);
    harness.say('/send');
    await harness.reply(/^Send what\? \/send </);
  });

  it('delivers an archive given with /send to the chat it was given in, and reports counts at the end', async () => {
    const archive = join(workspace.root, 'holiday.zip');
    const files = [...photos(12), { name: 'notes.txt', data: textBytes(3000, 'n') }, { name: 'empty.txt', data: '' }];
    await writeZip(archive, files);
    harness = await startTestBot(workspace.state);
    harness.say(`/send ${archive}`);
    await harness.reply(/^Queued #1 holiday\.zip, starting now\.$/);
    const report = await harness.reply(/#1 holiday\.zip: done in/);
    expect(report.text).toMatch(/13 delivered in 3 albums, 1 skipped, 0 failed\./);
    expect(report.text).toMatch(/Skipped:\n• empty\.txt: .* \(empty\)/);
    const posted = harness.server.messages.filter((message) => message.peer === owner.id.toString());
    expect(posted.map((message) => message.sha256).sort()).toEqual(files.slice(0, 13).map((file) => sha256(file.data)).sort());
    const { jobs } = await queueFile(workspace.state);
    expect(jobs).toMatchObject([{ id: 1, state: 'done', source: archive, progress: { delivered: 13, skipped: 1, failed: 0 } }]);
    expect(await filesUnder(join(workspace.state, 'tmp'))).toEqual([]);
  });

  it('recognises an archive it delivered before, and posts it again only when told "again"', async () => {
    const archive = join(workspace.root, 'again.zip');
    await writeZip(archive, photos(3));
    harness = await startTestBot(workspace.state);
    harness.say(`/send ${archive}`);
    await harness.reply(/#1 again\.zip: done/);
    const before = harness.replies().length;
    harness.say(`/send ${archive}`);
    const known = await harness.reply(/was delivered on/, before);
    expect(known.text).toMatch(/^again\.zip was delivered on \d{4}-\d\d-\d\d \d\d:\d\d UTC: 3 entries in 1 albums, 0 skipped, 0 failed\. Send "\/send .*again\.zip again" to post it all again\.$/);
    expect(harness.server.messages).toHaveLength(3);
    harness.say(`/send ${archive} again`);
    await harness.reply(/#2 again\.zip: done/);
    expect(harness.server.messages).toHaveLength(6);
  });

  it('keeps one /status message up to date while a job runs, and ends it with the outcome', async () => {
    const archive = join(workspace.root, 'slow.zip');
    await writeZip(archive, photos(25));
    harness = await startTestBot(workspace.state, { settings: { albumSize: 5 } });
    harness.recorder.onRequest = (request) => (request instanceof Api.messages.SendMultiMedia ? sleep(120) : undefined);
    harness.say(`/send ${archive}`);
    await harness.reply(/Queued #1/);
    harness.say('/status');
    const status = await harness.reply(/^#1 slow\.zip/);
    await harness.reply(/#1 slow\.zip: done/);
    await eventually(() => status.text.startsWith('✓'), 'the status message to show the end');
    expect(status.versions.length).toBeGreaterThan(2);
    expect(status.versions.some((text) => /\d+\/25 entries, \d+ albums sent/.test(text))).toBe(true);
    expect(status.text).toMatch(/^✓ #1 slow\.zip \(.*\): 25 delivered, 0 skipped, 0 failed$/);
    // Edited in place: one status message, never a second one.
    expect(harness.replies().filter((text) => text.versions.some((version) => version.startsWith('#1 slow.zip (')))).toEqual([status]);
  });

  it('stops after the current album on /pause, with no temp files left, and goes on after /resume', async () => {
    const archive = join(workspace.root, 'pause.zip');
    const files = photos(30);
    await writeZip(archive, files);
    harness = await startTestBot(workspace.state, { settings: { albumSize: 5 } });
    let albums = 0;
    harness.recorder.onRequest = async (request) => {
      if (!(request instanceof Api.messages.SendMultiMedia)) return;
      albums++;
      if (albums === 2) {
        harness!.say('/pause');
        await sleep(100);
      }
    };
    harness.say(`/send ${archive}`);
    await harness.reply(/^Pausing after the current album/);
    await sleep(400);
    const sent = harness.server.messages.length;
    expect(sent).toBeLessThan(30);
    // The files of the album read ahead meanwhile go too, as a short album: nothing waits on disk while paused.
    expect(await filesUnder(join(workspace.state, 'tmp'))).toEqual([]);
    harness.say('/queue');
    await harness.reply(/^Paused \(\/resume goes on\)\.\n▶ #1 pause\.zip \(.*\): paused/);
    expect((await queueFile(workspace.state)).paused).toBe(true);
    harness.say('/resume');
    await harness.reply(/#1 pause\.zip: done/);
    expect(harness.server.messages.map((message) => message.sha256).sort()).toEqual(files.map((file) => sha256(file.data)).sort());
  });

  it('cancels a running job, cleaning its temp files, keeping its manifest and freeing its lock before it says so, and /retry goes on without sending anything twice', async () => {
    const archive = join(workspace.root, 'cancel.zip');
    const files = photos(30);
    await writeZip(archive, files);
    harness = await startTestBot(workspace.state, { settings: { albumSize: 5 } });
    harness.recorder.onRequest = (request) => (request instanceof Api.messages.SendMultiMedia ? sleep(60) : undefined);
    harness.say(`/send ${archive}`);
    await eventually(() => harness!.server.messages.length >= 10, 'two albums');
    harness.say('/cancel 1');
    await harness.reply(/^Cancelled #1 cancel\.zip; its temp files are gone\. \/retry 1 goes on/);
    expect(await filesUnder(join(workspace.state, 'tmp'))).toEqual([]);
    expect(await filesUnder(join(workspace.state, 'locks'))).toEqual([]);
    const cancelled = (await queueFile(workspace.state)).jobs[0]!;
    expect(cancelled.state).toBe('cancelled');
    expect(await readFile(cancelled.manifest!, 'utf8')).toContain('"delivered"');
    harness.say('/retry 1');
    await harness.reply(/#1 cancel\.zip: done/);
    expect(harness.server.messages.map((message) => message.sha256).sort()).toEqual(files.map((file) => sha256(file.data)).sort());
  });

  it('passes photos and music sent on their own to the chat as they are, grouped when sent together', async () => {
    harness = await startTestBot(workspace.state);
    // Media Telegram already has: the bot sends it on by reference.
    const photoId = String(harness.server.newId());
    harness.server.media.set(photoId, { kind: 'photo', attributes: [], sha256: 'p', size: 10 });
    const photoId2 = String(harness.server.newId());
    harness.server.media.set(photoId2, { kind: 'photo', attributes: [], sha256: 'q', size: 10 });
    const songId = String(harness.server.newId());
    const song = [new Api.DocumentAttributeAudio({ duration: 3, title: 'tone' }), new Api.DocumentAttributeFilename({ fileName: 'tone.mp3' })];
    harness.server.media.set(songId, { kind: 'document', fileName: 'tone.mp3', mimeType: 'audio/mpeg', attributes: song, sha256: 's', size: mp3Bytes(10, 's').length });
    const photo = (id: string) => new Api.MessageMediaPhoto({ photo: new Api.Photo({ id: BigInt(id) as never, accessHash: 7 as never, fileReference: Buffer.from('r'), date: 1, sizes: [], dcId: 2 }) });
    harness.sendMedia(photo(photoId), { caption: 'first' });
    harness.sendMedia(photo(photoId2));
    harness.sendMedia(
      new Api.MessageMediaDocument({
        document: new Api.Document({ id: BigInt(songId) as never, accessHash: 7 as never, fileReference: Buffer.from('r'), date: 1, mimeType: 'audio/mpeg', size: 10 as never, dcId: 2, attributes: song }),
      }),
    );
    await eventually(() => harness!.server.messages.length === 3, 'three messages passed on');
    const [first, second, third] = harness.server.messages;
    expect(first).toMatchObject({ kind: 'photo', caption: 'first', sha256: 'p', peer: owner.id.toString() });
    expect(second!.groupedId).toBe(first!.groupedId);
    expect(third).toMatchObject({ kind: 'document', fileName: 'tone.mp3' });
    expect(third!.groupedId).toBeUndefined();
  });

  it('reads an archive forwarded to it as a file, over its own connection', async () => {
    const archive = join(workspace.root, 'forwarded.zip');
    const files = photos(4);
    await writeZip(archive, files);
    harness = await startTestBot(workspace.state);
    const document = harness.server.postDocument(await readFile(archive), { fileName: 'forwarded.zip' });
    harness.forward(document);
    await harness.reply(/^Queued #1 forwarded\.zip, starting now\.$/);
    await harness.reply(/#1 forwarded\.zip: done/);
    expect(harness.server.messages.map((message) => message.sha256).sort()).toEqual(files.map((file) => sha256(file.data)).sort());
    const { jobs } = await queueFile(workspace.state);
    expect(jobs[0]).toMatchObject({ source: `tg:${owner.id.toString()}/${document.messageId}`, documentId: document.id });
    // The same file forwarded again is recognised by the document, whatever message it comes in.
    const before = harness.replies().length;
    harness.forward({ ...document, messageId: harness.server.newId() });
    await harness.reply(/^forwarded\.zip was delivered on/, before);
  });

  it('says in words why an archive cannot be read, and goes on with the next job', async () => {
    const broken = join(workspace.root, 'notes.zip');
    await writeZip(join(workspace.root, 'fine.zip'), photos(2));
    await import('node:fs/promises').then(({ writeFile }) => writeFile(broken, 'this is not an archive at all'));
    harness = await startTestBot(workspace.state);
    harness.say(`/send ${broken}`);
    harness.say(`/send ${join(workspace.root, 'fine.zip')}`);
    await harness.reply(/^✗ #1 notes\.zip: cannot be read: not a zip, 7z, RAR or tar archive \(a tar may be gzip, xz, bzip2 or zstd compressed\)$/);
    await harness.reply(/#2 fine\.zip: done/);
    expect((await queueFile(workspace.state)).jobs.map((job) => job.state)).toEqual(['failed', 'done']);
  });

  it('sends a long list of entries not delivered as a text file', async () => {
    const archive = join(workspace.root, 'empties.zip');
    await writeZip(archive, [...Array.from({ length: 30 }, (_, i) => ({ name: `empty-${i}.txt`, data: '' })), ...photos(2)]);
    harness = await startTestBot(workspace.state);
    harness.say(`/send ${archive}`);
    const report = await eventually(() => harness!.server.messages.find((message) => message.fileName === 'unspool-job-1.txt'), 'the report file');
    expect(report.caption).toMatch(/#1 empties\.zip: done in .*2 delivered in 1 albums, 30 skipped, 0 failed\./);
    expect(report.mimeType).toBe('text/plain');
    // Its text file is deleted once Telegram has it.
    await eventually(async () => (await filesUnder(join(workspace.state, 'bot', 'scratch'))).length === 0, 'the scratch folder to empty');
  });
});
