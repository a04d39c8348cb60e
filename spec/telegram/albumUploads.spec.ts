import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { firstValueFrom, from } from 'rxjs';
import { Api } from 'telegram';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SentMessages, Sink, UploadJournal, UploadRecord } from '../../src/sinks/sink.js';
import { randomIdOf } from '../../src/telegram/randomId.js';
import type { Album, Receipt, TempFile } from '../../src/step.js';
import { overLink } from '../support/linkModel.js';
import { pseudoRandomBytes, sha256 } from '../support/sampleBytes.js';
import { testEntry } from '../support/steps.js';
import { TelegramRecorder } from '../support/telegramRecorder.js';
import { createWorkspace, removeWorkspace, type Workspace } from '../support/workspace.js';
import { recordedSink } from './support.js';

type PartRequest = Api.upload.SaveFilePart | Api.upload.SaveBigFilePart;

/** A journal in memory, as the manifest keeps one: it outlives an aborted delivery and a crash. */
function memoryJournal(): UploadJournal & { readonly records: Map<string, UploadRecord> } {
  const records = new Map<string, UploadRecord>();
  const sent = new Map<string, SentMessages>();
  return {
    records,
    get: (key) => records.get(key),
    put: (key, record) => void (record ? records.set(key, record) : records.delete(key)),
    sent: (album) => sent.get(album) ?? {},
    recordSent: async (album, messages) => {
      sent.set(album, { ...sent.get(album), ...messages });
    },
  };
}

const never = new AbortController().signal;

/**
 * Holds the parts a recorder is asked for until `budget` of them wait (or the last of `total`
 * came), then answers them together, and counts the parts in flight at most: whether the sink
 * reaches its budget does not then depend on how fast this machine reads and answers parts.
 */
function gatherParts(recorder: TelegramRecorder, budget: number, total: number): { readonly most: () => number } {
  const waiting: (() => void)[] = [];
  let asked = 0;
  let inFlight = 0;
  let most = 0;
  recorder.onRequest = async (request) => {
    if (!(request instanceof Api.upload.SaveFilePart)) return;
    asked++;
    most = Math.max(most, ++inFlight);
    const answered = new Promise<void>((resolve) => waiting.push(resolve));
    if (waiting.length === budget || asked === total) for (const release of waiting.splice(0)) release();
    await answered;
    inFlight--;
  };
  return { most: () => most };
}

/** A document of `parts` parts (the last one short) in `folder`, as `materialise` leaves it. */
async function documentIn(folder: string, index: number, parts: number): Promise<TempFile> {
  const data = pseudoRandomBytes((parts - 1) * 512 * 1024 + 1000 + index, `doc-${index}`);
  const path = join(folder, `${index}.part`);
  await writeFile(path, data);
  return { entry: testEntry(index, `docs/d${index}.bin`, { media: 'document', size: data.length }), path, size: data.length, media: 'document' };
}

describe('the Telegram sink uploads an album at once', () => {
  let workspace: Workspace;
  let recorder: TelegramRecorder;

  beforeEach(async () => {
    workspace = await createWorkspace();
    recorder = new TelegramRecorder();
    // A short round trip and a wide uplink: requests overlap, and the specs count and order them.
    overLink(recorder, { roundTripMs: 15, bytesPerSecond: 1e9 });
  });

  afterEach(async () => {
    await removeWorkspace(workspace);
  });

  const document = (index: number, parts: number) => documentIn(workspace.root, index, parts);
  /** An album of four documents of three parts each: twelve parts. */
  const fourDocuments = async (id = 'album-1'): Promise<Album> => ({ id, group: 'document', files: await Promise.all([0, 1, 2, 3].map((index) => document(index, 3))) });
  const deliver = (sink: Sink, album: Album, uploads: UploadJournal, signal = never): Promise<Receipt> =>
    firstValueFrom(from(sink.deliver(album, signal, { archive: 'a.zip', uploads })));

  const partRequests = () => recorder.requests.map((entry) => entry.request).filter((request): request is PartRequest => request instanceof Api.upload.SaveFilePart || request instanceof Api.upload.SaveBigFilePart);
  /** How many times each part of each upload was sent, by `fileId/part`. */
  const partSends = () => {
    const counts = new Map<string, number>();
    for (const part of partRequests()) counts.set(`${part.fileId}/${part.filePart}`, (counts.get(`${part.fileId}/${part.filePart}`) ?? 0) + 1);
    return counts;
  };
  const classNames = () => recorder.requests.map((entry) => entry.className);

  it('keeps exactly the run-wide budget of parts in flight over all its files, never more', async () => {
    const gathered = gatherParts(recorder, 5, 12);
    const { sink } = recordedSink(recorder, { partsInFlight: 5 });
    await deliver(sink, await fourDocuments(), memoryJournal());
    expect(partRequests()).toHaveLength(12);
    expect(gathered.most()).toBe(5);
  });

  it('draws no listener-leak warning from sixteen parts in flight and more waiting, of one file and of many', async () => {
    const warnings: Error[] = [];
    const listen = (warning: Error) => warnings.push(warning);
    const gathered = gatherParts(recorder, 16, 20);
    process.on('warning', listen);
    try {
      // Twelve parts of one file in flight at once (over the ten listeners Node allows a signal
      // before it warns), and the parts of four more files waiting for a slot.
      const files = await Promise.all([document(0, 12), ...Array.from({ length: 4 }, (_, index) => document(index + 1, 2))]);
      const album: Album = { id: 'album-wide', group: 'document', files };
      await deliver(recordedSink(recorder, { partsInFlight: 16 }).sink, album, memoryJournal(), new AbortController().signal);
      // Warnings are emitted on the next tick.
      await sleep(10);
    } finally {
      process.off('warning', listen);
    }
    expect(gathered.most()).toBe(16);
    expect(warnings.map((warning) => warning.name)).not.toContain('MaxListenersExceededWarning');
  });

  it('has Telegram store each file with uploadMedia as soon as its own parts are in, while later files still upload', async () => {
    const { sink } = recordedSink(recorder, { partsInFlight: 5 });
    const album = await fourDocuments();
    await deliver(sink, album, memoryJournal());
    const names = classNames();
    const uploadMedia = recorder.of<Api.messages.UploadMedia>('messages.UploadMedia');
    expect(uploadMedia).toHaveLength(4);
    // The first file is stored before the last part of the album is sent.
    expect(names.indexOf('messages.UploadMedia')).toBeLessThan(names.lastIndexOf('upload.SaveFilePart'));
    // Each file's uploadMedia comes after every part of that file.
    for (const request of uploadMedia) {
      const media = request.media as Api.InputMediaUploadedDocument;
      const file = media.file as Api.InputFile;
      const lastPart = recorder.requests.findLastIndex((entry) => entry.request instanceof Api.upload.SaveFilePart && entry.request.fileId.equals(file.id));
      expect(lastPart).toBeLessThan(recorder.requests.findIndex((entry) => entry.request === request));
    }
  });

  it('sends the album once every file is stored, in archive order under the manifest\'s random_ids', async () => {
    const { sink } = recordedSink(recorder, { partsInFlight: 5 });
    const album = await fourDocuments();
    await deliver(sink, album, memoryJournal());
    const names = classNames();
    expect(names.indexOf('messages.SendMultiMedia')).toBeGreaterThan(names.lastIndexOf('messages.UploadMedia'));
    const [send] = recorder.of<Api.messages.SendMultiMedia>('messages.SendMultiMedia');
    expect(send!.multiMedia.map((single) => String(single.randomId))).toEqual(album.files.map((file) => randomIdOf(album.id, file.entry.index)));
    expect(send!.multiMedia.map((single) => single.message)).toEqual(album.files.map((file) => file.entry.name));
  });

  it('after an abort mid-album, delivers it once with the same journal, sending no confirmed part again', async () => {
    const album = await fourDocuments();
    const journal = memoryJournal();
    const aborter = new AbortController();
    recorder.onRequest = (request) => {
      if (request instanceof Api.upload.SaveFilePart && partRequests().length === 7) aborter.abort(new Error('killed'));
    };
    overLink(recorder, { roundTripMs: 15, bytesPerSecond: 1e9 });
    await expect(deliver(recordedSink(recorder, { partsInFlight: 5 }).sink, album, journal, aborter.signal)).rejects.toThrow('killed');
    const confirmed = [...journal.records.values()].flatMap((record) => record.parts.flatMap(([first, last]) => Array.from({ length: last - first + 1 }, (_, i) => `${record.fileId}/${first + i}`)));
    expect(confirmed.length).toBeGreaterThan(0);
    expect(recorder.server.messages).toEqual([]);

    // A new sink, as after a crash: only the journal carries over.
    await deliver(recordedSink(recorder, { partsInFlight: 5 }).sink, album, journal);
    const sends = partSends();
    for (const part of confirmed) expect(sends.get(part)).toBe(1);
    expect(recorder.of('messages.SendMultiMedia')).toHaveLength(1);
    expect(recorder.server.messages.map((message) => message.caption)).toEqual(album.files.map((file) => file.entry.name));
  });

  it('holds every other part while one waits out a FLOOD_WAIT, and then goes on', async () => {
    let pausing = false;
    let partsDuringPause = 0;
    const waits: number[] = [];
    const wait = async (milliseconds: number) => {
      waits.push(milliseconds);
      pausing = true;
      // Long enough for parts to go, if anything let them: the spec counts them, not the time.
      await sleep(100);
      pausing = false;
    };
    recorder.onRequest = (request) => {
      if (pausing && request.className === 'upload.SaveFilePart') partsDuringPause++;
    };
    overLink(recorder, { roundTripMs: 15, bytesPerSecond: 1e9 });
    recorder.fail('upload.SaveFilePart', 420, 'FLOOD_WAIT_7', { where: (request) => (request as Api.upload.SaveFilePart).filePart === 1 });
    const album = await fourDocuments();
    await deliver(recordedSink(recorder, { partsInFlight: 4, wait }).sink, album, memoryJournal());
    expect(waits).toEqual([7_000]);
    expect(partsDuringPause).toBe(0);
    expect(partRequests()).toHaveLength(13);
    expect(recorder.server.messages).toHaveLength(4);
  });
});

describe('Sink.prepare of the Telegram sink', () => {
  let workspace: Workspace;
  let recorder: TelegramRecorder;

  beforeEach(async () => {
    workspace = await createWorkspace();
    recorder = new TelegramRecorder();
    overLink(recorder, { roundTripMs: 15, bytesPerSecond: 1e9 });
  });

  afterEach(async () => {
    await removeWorkspace(workspace);
  });

  const document = (index: number, parts: number) => documentIn(workspace.root, index, parts);
  const albumOf = async (count: number, id = 'album-2'): Promise<Album> => ({ id, group: 'document', files: await Promise.all(Array.from({ length: count }, (_, index) => document(index, 2))) });
  const deliver = (sink: Sink, album: Album, uploads: UploadJournal, signal = never): Promise<Receipt> =>
    firstValueFrom(from(sink.deliver(album, signal, { archive: 'a.zip', uploads })));
  const prepare = (sink: Sink, album: Album, uploads: UploadJournal, signal = never): Promise<void> => sink.prepare!(album, signal, { archive: 'a.zip', uploads });
  const partKeys = () =>
    recorder.requests.flatMap(({ request }) => (request instanceof Api.upload.SaveFilePart ? [`${request.fileId}/${request.filePart}`] : []));

  it('uploads and stores the album without posting, and deliver then only sends it', async () => {
    const { sink } = recordedSink(recorder);
    const album = await albumOf(3);
    const journal = memoryJournal();
    await prepare(sink, album, journal);
    expect(recorder.of('messages.UploadMedia')).toHaveLength(3);
    expect(recorder.server.messages).toEqual([]);
    const before = recorder.requests.length;
    await deliver(sink, album, journal);
    expect(recorder.requests.slice(before).map((entry) => entry.className)).toEqual(['messages.SendMultiMedia']);
    expect(recorder.server.messages.map((message) => message.caption)).toEqual(album.files.map((file) => file.entry.name));
  });

  it('has deliver wait for a prepare still under way: each part is sent once, each file stored once, the album posted once', async () => {
    const { sink } = recordedSink(recorder);
    const album = await albumOf(3);
    const journal = memoryJournal();
    const prepared = prepare(sink, album, journal);
    await deliver(sink, album, journal);
    await prepared;
    expect(partKeys()).toHaveLength(6);
    expect(new Set(partKeys()).size).toBe(6);
    expect(recorder.of('messages.UploadMedia')).toHaveLength(3);
    expect(recorder.of('messages.SendMultiMedia')).toHaveLength(1);
    expect(recorder.server.messages).toHaveLength(3);
  });

  it('delivers after a prepare that failed, sending none of the parts it got confirmed again', async () => {
    const { sink } = recordedSink(recorder);
    const album = await albumOf(3);
    const journal = memoryJournal();
    recorder.fail('messages.UploadMedia', 400, 'MEDIA_EMPTY');
    await expect(prepare(sink, album, journal)).rejects.toThrow('MEDIA_EMPTY');
    expect(partKeys()).toHaveLength(6);
    const receipt = await deliver(sink, album, journal);
    expect(receipt.items).toHaveLength(3);
    expect(new Set(partKeys()).size).toBe(partKeys().length);
    expect(recorder.server.messages.map((message) => message.sha256)).toHaveLength(3);
  });

  it('delivers after a prepare that was aborted, posting each file once', async () => {
    const { sink } = recordedSink(recorder);
    const album = await albumOf(3);
    const journal = memoryJournal();
    const aborter = new AbortController();
    recorder.onRequest = () => {
      if (partKeys().length === 3) aborter.abort(new Error('prepare aborted'));
    };
    await expect(prepare(sink, album, journal, aborter.signal)).rejects.toThrow('prepare aborted');
    recorder.onRequest = undefined;
    overLink(recorder, { roundTripMs: 15, bytesPerSecond: 1e9 });
    await deliver(sink, album, journal);
    expect(recorder.of('messages.SendMultiMedia')).toHaveLength(1);
    expect(recorder.server.messages.map((message) => message.caption)).toEqual(album.files.map((file) => file.entry.name));
    const bytes = await Promise.all(album.files.map(async (file) => sha256(await readFile(file.path))));
    expect(recorder.server.messages.map((message) => message.sha256)).toEqual(bytes);
  });

  it('uploads a lone file ahead, and deliver sends it with sendMedia without uploading it again', async () => {
    const { sink } = recordedSink(recorder);
    const album = await albumOf(1, 'album-3');
    const journal = memoryJournal();
    await prepare(sink, album, journal);
    expect(partKeys()).toHaveLength(2);
    expect(recorder.of('messages.UploadMedia')).toEqual([]);
    await deliver(sink, album, journal);
    expect(partKeys()).toHaveLength(2);
    expect(recorder.of('messages.SendMedia')).toHaveLength(1);
    expect(recorder.server.messages).toHaveLength(1);
  });
});
