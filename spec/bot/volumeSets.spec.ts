/**
 * Volume sets sent to the bot as separate Telegram files: real sets (7-Zip's `-v`, RAR fixtures,
 * Info-ZIP's `-s`), each volume posted as a document and forwarded, gathered into one job that
 * reads every volume in place.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeSevenZip } from '../sevenZip/sevenZipFixtures.js';
import { pseudoRandomBytes, sha256 } from '../support/sampleBytes.js';
import { type StoredDocument, TelegramServer } from '../support/telegramRecorder.js';
import { createWorkspace, filesUnder, removeWorkspace, type Workspace } from '../support/workspace.js';
import { type BotHarness, owner, startTestBot } from './support.js';

const run = promisify(execFile);
const rarFixtures = resolve('spec', 'fixtures', 'rar');
const sevenZipType = 'application/x-7z-compressed';
const rarType = 'application/vnd.rar';

/** Files that do not compress, so that 100 KB volumes cut through them. */
const files = Array.from({ length: 3 }, (_, i) => ({ name: `set/file${i}.bin`, data: pseudoRandomBytes(90_000 + i * 1_000, `set-${i}`) }));
const digests = files.map((file) => sha256(file.data)).sort();

/** The RAR fixture of four solid volumes, and the digests of its entries. */
async function rarSet(): Promise<{ volumes: string[]; digests: string[] }> {
  const expected = JSON.parse(await readFile(join(rarFixtures, 'expected.json'), 'utf8')) as {
    fixtures: { name: string; volumes: string[]; entries: { kind: string; sha256?: string | null }[] }[];
  };
  const fixture = expected.fixtures.find((candidate) => candidate.name === 'rar5-solid-volumes.part1.rar')!;
  return { volumes: fixture.volumes.map((volume) => join(rarFixtures, volume)), digests: fixture.entries.filter((entry) => entry.kind === 'file').map((entry) => entry.sha256!).sort() };
}

describe('the bot with a volume set sent as separate files', () => {
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

  /** Posts each volume as a document (in volume order), and returns them. */
  async function post(paths: readonly string[]): Promise<StoredDocument[]> {
    const documents: StoredDocument[] = [];
    for (const path of paths) documents.push(harness!.server.postDocument(await readFile(path), { fileName: basename(path) }));
    return documents;
  }

  /** The digests of every file the bot posted. */
  const delivered = () => harness!.server.messages.map((message) => message.sha256).sort();

  it('gathers a 7z set forwarded in order into one job, and delivers every entry once', async () => {
    const volumes = await writeSevenZip(workspace.root, 'photos.7z', files, ['-v100k']);
    expect(volumes.map((volume) => basename(volume))).toEqual(['photos.7z.001', 'photos.7z.002', 'photos.7z.003']);
    harness = await startTestBot(workspace.state);
    const documents = await post(volumes);
    for (const document of documents) harness.forward(document, { mimeType: sevenZipType });
    await harness.reply(/^Queued #1 photos\.7z\.001, starting now\.$/);
    await harness.reply(/^✅ #1 photos\.7z\.001: done.*3 delivered/);
    expect(delivered()).toEqual(digests);
    expect(harness.bot.queue.jobs).toHaveLength(1);
    expect(harness.bot.queue.jobs[0]).toMatchObject({
      source: `tg:${owner.id.toString()}/${documents.map((document) => document.messageId).join('+')}`,
      documentId: documents.map((document) => document.id).join('+'),
      state: 'done',
    });
    expect(harness.replies().map((reply) => reply.text).join('\n')).not.toMatch(/is volume|missing/);

    // The same volumes forwarded again, in new messages, are the same set: delivered before.
    const since = harness.replies().length;
    for (const document of documents) harness.forward({ ...document, messageId: harness.server.newId() }, { mimeType: sevenZipType });
    await harness.reply(/^photos\.7z\.001 was delivered on/, since);
    expect(harness.bot.queue.jobs).toHaveLength(1);
  });

  it('gathers a RAR set forwarded out of order, in volume order, into one job', async () => {
    const set = await rarSet();
    harness = await startTestBot(workspace.state);
    const documents = await post(set.volumes);
    for (const n of [3, 1, 0, 2]) harness.forward(documents[n]!, { mimeType: rarType });
    await harness.reply(/^Queued #1 rar5-solid-volumes\.part1\.rar, starting now\.$/);
    await harness.reply(/^✅ #1 rar5-solid-volumes\.part1\.rar: done/);
    expect(delivered()).toEqual(set.digests);
    expect(harness.bot.queue.jobs.map((job) => job.source)).toEqual([`tg:${owner.id.toString()}/${documents.map((document) => document.messageId).join('+')}`]);
    expect(harness.replies().map((reply) => reply.text).join('\n')).not.toMatch(/is volume|missing/);
  });

  it('names a missing middle volume once, waits for it, and delivers the set when it comes', async () => {
    const volumes = await writeSevenZip(workspace.root, 'gap.7z', files, ['-v100k']);
    harness = await startTestBot(workspace.state);
    const [first, second, third] = await post(volumes);
    harness.forward(third!, { mimeType: sevenZipType });
    harness.forward(first!, { mimeType: sevenZipType });
    await harness.reply(/^gap\.7z\.001: I have 2 volumes of this set, but gap\.7z\.002 is missing\. Send it and I will unpack the set\.$/);
    // Told once: more windows pass without another word, and without a job.
    await sleep(600);
    expect(harness.replies().filter((reply) => /missing/.test(reply.text))).toHaveLength(1);
    expect(harness.bot.queue.jobs).toEqual([]);

    const since = harness.replies().length;
    harness.forward(second!, { mimeType: sevenZipType });
    await harness.reply(/^Queued #1 gap\.7z\.001, starting now\.$/, since);
    await harness.reply(/^✅ #1 gap\.7z\.001: done.*3 delivered/, since);
    expect(delivered()).toEqual(digests);
    expect(harness.bot.queue.jobs).toHaveLength(1);
  });

  it('keeps a set waiting for a volume across a restart, and delivers it when the volume comes', async () => {
    const volumes = await writeSevenZip(workspace.root, 'kept.7z', files, ['-v100k']);
    const server = new TelegramServer();
    const first = await startTestBot(workspace.state, { server });
    harness = first;
    const [one, two, three] = await post(volumes);
    first.forward(one!, { mimeType: sevenZipType });
    first.forward(three!, { mimeType: sevenZipType });
    await first.reply(/^kept\.7z\.001: I have 2 volumes of this set, but kept\.7z\.002 is missing\./);
    await first.bot.stop();
    expect(await filesUnder(join(workspace.state, 'bot'))).toContain('volumes.json');

    harness = await startTestBot(workspace.state, { server });
    const since = harness.replies().length;
    harness.forward(two!, { mimeType: sevenZipType });
    await harness.reply(/^Queued #1 kept\.7z\.001, starting now\.$/, since);
    await harness.reply(/^✅ #1 kept\.7z\.001: done.*3 delivered/, since);
    expect(delivered()).toEqual(digests);
    expect(harness.bot.queue.jobs.map((job) => job.source)).toEqual([`tg:${owner.id.toString()}/${[one, two, three].map((document) => document!.messageId).join('+')}`]);
  });

  it('gathers a spanned zip (x.z01 … x.zip), its x.zip sent first, and a zip cut into pieces (x.zip.001 …)', async () => {
    const folder = join(workspace.root, 'zips');
    await mkdir(folder);
    for (const file of files) {
      await mkdir(join(folder, 'set'), { recursive: true });
      await writeFile(join(folder, file.name), file.data);
    }
    await run('zip', ['-q', '-s', '100k', 'spanned.zip', ...files.map((file) => file.name)], { cwd: folder });
    await run(process.execPath, [resolve('node_modules', '7z-wasm', 'cli.js'), 'a', '-tzip', '-v100k', 'pieces.zip', ...files.map((file) => file.name)], { cwd: folder });
    const spanned = ['spanned.z01', 'spanned.z02', 'spanned.zip'].map((name) => join(folder, name));
    const pieces = ['pieces.zip.001', 'pieces.zip.002', 'pieces.zip.003'].map((name) => join(folder, name));
    harness = await startTestBot(workspace.state);
    const spannedDocuments = await post(spanned);
    for (const n of [2, 0, 1]) harness.forward(spannedDocuments[n]!);
    await harness.reply(/^Queued #1 spanned\.zip, starting now\.$/);
    await harness.reply(/^✅ #1 spanned\.zip: done.*3 delivered/);
    expect(delivered()).toEqual(digests);

    const pieceDocuments = await post(pieces);
    for (const n of [1, 2, 0]) harness.forward(pieceDocuments[n]!);
    await harness.reply(/^Queued #2 pieces\.zip\.001, starting now\.$/);
    await harness.reply(/^✅ #2 pieces\.zip\.001: done.*3 delivered/);
    expect(delivered()).toEqual([...digests, ...digests].sort());
    expect(harness.bot.queue.jobs.map((job) => job.source)).toEqual([spannedDocuments, pieceDocuments].map((documents) => `tg:${owner.id.toString()}/${documents.map((document) => document.messageId).join('+')}`));
  });

  it('queues a lone first volume as one file, and answers later volumes without their first once', async () => {
    const lone = await writeSevenZip(workspace.root, 'lone.7z', files, ['-v10m']);
    expect(lone.map((volume) => basename(volume))).toEqual(['lone.7z.001']);
    harness = await startTestBot(workspace.state);
    const [document] = await post(lone);
    harness.forward(document!, { mimeType: sevenZipType });
    await harness.reply(/^✅ #1 lone\.7z\.001: done.*3 delivered/);
    expect(harness.bot.queue.jobs.map((job) => job.source)).toEqual([`tg:${owner.id.toString()}/${document!.messageId}`]);

    const [, second, third] = await post(await writeSevenZip(workspace.root, 'later.7z', files, ['-v100k']));
    harness.forward(third!, { mimeType: sevenZipType });
    harness.forward(second!, { mimeType: sevenZipType });
    await harness.reply(/^later\.7z\.002 is volume 2 of a 7z set/);
    await sleep(600);
    expect(harness.replies().filter((reply) => /is volume/.test(reply.text))).toHaveLength(1);
    expect(harness.bot.queue.jobs).toHaveLength(1);
  });
});
