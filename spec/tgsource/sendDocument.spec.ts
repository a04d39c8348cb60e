import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Api, helpers } from 'telegram';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dirSink } from '../../src/sinks/dirSink.js';
import { getFileRangeError } from '../../src/sources/telegram/getFileRequest.js';
import { runSend, runSendUntil } from '../support/runSend.js';
import { pseudoRandomBytes, sha256, textBytes } from '../support/sampleBytes.js';
import { writeTarGz } from '../support/tarFixtures.js';
import { TelegramRecorder, TelegramServer } from '../support/telegramRecorder.js';
import { createWorkspace, deliveredFiles, readAlbums, removeWorkspace, type Workspace } from '../support/workspace.js';
import { writeZip } from '../support/zipFixtures.js';
import { manifestOnDisk } from '../support/workspace.js';
import { getFileRanges, recordedOpener } from './support.js';

const mib = 1024 * 1024;

/** Stored (not deflated) random files: their bytes stand in the zip as they are, easy to find. */
const files = [
  { name: 'a.bin', data: pseudoRandomBytes(2 * mib + 1234, 'a'), compress: false },
  { name: 'b.bin', data: pseudoRandomBytes(1 * mib + 77, 'b'), compress: false },
  { name: 'notes.txt', data: textBytes(5000, 'notes') },
  { name: 'c.bin', data: pseudoRandomBytes(2 * mib + 9, 'c'), compress: false },
];

describe('sending a zip posted in a Telegram chat', () => {
  let workspace: Workspace;
  let zip: Buffer;

  beforeEach(async () => {
    workspace = await createWorkspace();
    await writeZip(join(workspace.root, 'posted.zip'), files);
    zip = await readFile(join(workspace.root, 'posted.zip'));
  });

  afterEach(async () => {
    await removeWorkspace(workspace);
  });

  it('delivers every entry byte for byte, reading each range once, within the rules of upload.getFile', async () => {
    const server = new TelegramServer();
    const posted = server.postDocument(zip);
    const recorder = new TelegramRecorder(server);
    const { open, closed } = recordedOpener(recorder, workspace.state);
    const { summary } = await runSend(`tg:me/${posted.messageId}`, { sink: await dirSink(workspace.out), state: workspace.state, open });
    expect(summary).toMatchObject({ delivered: 4, failed: [] });
    const delivered = deliveredFiles(await readAlbums(workspace.out));
    expect(delivered.map((file) => [file.entry, file.sha256])).toEqual(files.map((file) => [file.name, sha256(file.data)]));
    const ranges = getFileRanges(recorder);
    for (const range of ranges) expect(getFileRangeError(range)).toBeUndefined();
    // The data once, and around it only the reads of the format, the directory and the local
    // headers, each rounded to at most two 4 KiB pages per read.
    const requested = ranges.reduce((sum, range) => sum + range.limit, 0);
    const directoryReads = 8 * 4096 + files.length * 2 * 4096;
    expect(requested).toBeLessThanOrEqual(zip.length * 1.01 + directoryReads);
    expect(manifestOnDisk(workspace.state).archive).toMatchObject({ path: `tg:me/${posted.messageId}`, size: zip.length });
    expect(closed.count).toBe(1);
  });

  it('reads a channel post through channels.getMessages, and a tar.gz straight through in 1 MiB blocks', async () => {
    const items = [
      { name: 'one.bin', data: pseudoRandomBytes(3 * mib, 'one') },
      { name: 'two.txt', data: textBytes(10_000, 'two') },
    ];
    const tgz = await writeTarGz(join(workspace.root, 'posted.tar.gz'), items);
    const server = new TelegramServer();
    server.add(new Api.Channel({ id: helpers.returnBigInt(123), title: 'Archives', username: 'archives', accessHash: helpers.returnBigInt(99), photo: new Api.ChatPhotoEmpty(), date: 0, broadcast: true }));
    const posted = server.postDocument(tgz, { fileName: 'posted.tar.gz', channelId: '123' });
    const recorder = new TelegramRecorder(server);
    const { open } = recordedOpener(recorder, workspace.state);
    const { summary } = await runSend(`https://t.me/archives/${posted.messageId}`, { sink: await dirSink(workspace.out), state: workspace.state, open });
    expect(summary).toMatchObject({ delivered: 2, failed: [] });
    expect(deliveredFiles(await readAlbums(workspace.out)).map((file) => file.sha256)).toEqual(items.map((item) => sha256(item.data)));
    expect(recorder.of('channels.GetMessages')).toHaveLength(1);
    expect(recorder.of('messages.GetMessages')).toHaveLength(0);
    // After the format and fingerprint reads, the entries come from one pass over whole blocks.
    const pass = getFileRanges(recorder).filter((range) => range.limit === mib || range.offset + range.limit >= tgz.length);
    expect(pass.map((range) => range.offset)).toEqual(Array.from({ length: Math.ceil(tgz.length / mib) }, (_, block) => block * mib));
    expect(manifestOnDisk(workspace.state).archive).toMatchObject({ path: `tg:@archives/${posted.messageId}`, format: 'tar.gz' });
  });

  it('renews an expired file reference by fetching the message again', async () => {
    const server = new TelegramServer();
    const posted = server.postDocument(zip);
    const recorder = new TelegramRecorder(server);
    recorder.onRequest = (request) => {
      // The reference expires once, after the directory has been read.
      if (request instanceof Api.upload.GetFile && recorder.of('upload.GetFile').length === 12) server.expireFileReference(posted.messageId);
    };
    const { open } = recordedOpener(recorder, workspace.state);
    const { summary } = await runSend(`tg:me/${posted.messageId}`, { sink: await dirSink(workspace.out), state: workspace.state, open });
    expect(summary).toMatchObject({ delivered: 4, failed: [] });
    expect(deliveredFiles(await readAlbums(workspace.out)).map((file) => file.sha256)).toEqual(files.map((file) => sha256(file.data)));
    expect(recorder.of('messages.GetMessages')).toHaveLength(2);
    const references = new Set(recorder.of<Api.upload.GetFile>('upload.GetFile').map((request) => Buffer.from((request.location as Api.InputDocumentFileLocation).fileReference).toString()));
    expect(references.size).toBe(2);
  });

  it('waits out a FLOOD_WAIT on upload.getFile for exactly the seconds asked, in virtual time', async () => {
    const server = new TelegramServer();
    const posted = server.postDocument(zip);
    const recorder = new TelegramRecorder(server);
    recorder.fail('upload.GetFile', 420, 'FLOOD_WAIT_7', { where: (request) => Number((request as Api.upload.GetFile).offset.toString()) === 2 * mib });
    const { open, waits } = recordedOpener(recorder, workspace.state);
    const { summary } = await runSend(`tg:me/${posted.messageId}`, { sink: await dirSink(workspace.out), state: workspace.state, open });
    expect(summary).toMatchObject({ delivered: 4, failed: [] });
    expect(waits).toEqual([7000]);
    expect(deliveredFiles(await readAlbums(workspace.out)).map((file) => file.sha256)).toEqual(files.map((file) => sha256(file.data)));
  });

  it('reads the document in its own data center when a FILE_MIGRATE answer names another', async () => {
    const server = new TelegramServer();
    const posted = server.postDocument(zip, { dcId: 4 });
    const recorder = new TelegramRecorder(server);
    recorder.fail('upload.GetFile', 303, 'FILE_MIGRATE_4');
    const { open } = recordedOpener(recorder, workspace.state);
    const { summary } = await runSend(`tg:me/${posted.messageId}`, { sink: await dirSink(workspace.out), state: workspace.state, open });
    expect(summary).toMatchObject({ delivered: 4, failed: [] });
    const getFiles = recorder.requests.filter((request) => request.className === 'upload.GetFile');
    expect(getFiles[0]!.dcId).toBeUndefined();
    expect(getFiles.slice(1).every((request) => request.dcId === 4)).toBe(true);
  });

  it('resumes after a stop without fetching a block that only delivered entries hold', async () => {
    const server = new TelegramServer();
    const posted = server.postDocument(zip);
    const first = new TelegramRecorder(server);
    const firstRun = recordedOpener(first, workspace.state);
    const sink = await dirSink(workspace.out);
    // Albums of one entry: the run is stopped once the first two entries are checkpointed.
    await runSendUntil(`tg:me/${posted.messageId}`, { sink, state: workspace.state, open: firstRun.open, albumSize: 2 }, (step) => step.kind === 'checkpoint' && step.nextIndex >= 2);
    const second = new TelegramRecorder(server);
    const { summary } = await runSend(`tg:me/${posted.messageId}`, { sink, state: workspace.state, open: recordedOpener(second, workspace.state).open, albumSize: 2 });
    expect(summary).toMatchObject({ delivered: 4, failed: [] });
    expect(deliveredFiles(await readAlbums(workspace.out)).map((file) => file.sha256)).toEqual(files.map((file) => sha256(file.data)));
    // a.bin and b.bin went out in the first run: no range of the second lies inside their data.
    const start = zip.indexOf(files[0]!.data);
    const end = zip.indexOf(files[1]!.data) + files[1]!.data.length;
    const inside = getFileRanges(second).filter((range) => range.offset >= start && range.offset + range.limit <= end);
    expect(inside).toEqual([]);
    expect(getFileRanges(second).length).toBeGreaterThan(0);
  });
});
