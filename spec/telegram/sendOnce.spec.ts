import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { firstValueFrom, from } from 'rxjs';
import { Api, errors, helpers } from 'telegram';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MediaType } from '../../src/entry.js';
import type { SentMessages, Sink, UploadJournal, UploadRecord } from '../../src/sinks/sink.js';
import { randomIdOf } from '../../src/telegram/randomId.js';
import { sendOnce } from '../../src/sinks/telegram/sendOnce.js';
import type { TelegramCall } from '../../src/telegram/telegramCall.js';
import type { Album, Receipt, TempFile } from '../../src/step.js';
import { pngBytes } from '../support/media.js';
import { runSend } from '../support/runSend.js';
import { pseudoRandomBytes, sha256 } from '../support/sampleBytes.js';
import { testEntry } from '../support/steps.js';
import { type SeenAnswer, TelegramRecorder } from '../support/telegramRecorder.js';
import { createWorkspace, removeWorkspace, type Workspace } from '../support/workspace.js';
import { writeZip } from '../support/zipFixtures.js';
import { recordedSink } from './support.js';

/** A journal in memory that also notes, in `log`, each answer recorded. */
function notingJournal(log: string[]): UploadJournal & { readonly sentByAlbum: Map<string, SentMessages> } {
  const records = new Map<string, UploadRecord>();
  const sentByAlbum = new Map<string, SentMessages>();
  return {
    sentByAlbum,
    get: (key) => records.get(key),
    put: (key, record) => void (record ? records.set(key, record) : records.delete(key)),
    sent: (album) => sentByAlbum.get(album) ?? {},
    recordSent: async (album, messages) => {
      log.push(`recorded ${Object.keys(messages).length}`);
      sentByAlbum.set(album, { ...sentByAlbum.get(album), ...messages });
    },
  };
}

const never = new AbortController().signal;

describe('sendOnce', () => {
  const noWait = async () => {};
  const request = new Api.messages.SendMedia({ peer: new Api.InputPeerSelf(), media: new Api.InputMediaEmpty(), message: '', randomId: helpers.returnBigInt('-42') });
  const answering = (answer: () => unknown): TelegramCall => (async () => answer()) as TelegramCall;

  it('takes the id of an updateShortSentMessage for a request with one random_id', async () => {
    const call = answering(() => new Api.UpdateShortSentMessage({ out: true, id: 77, pts: 1, ptsCount: 1, date: 0 }));
    expect(await sendOnce({ call, wait: noWait, signal: never }, request)).toEqual({ '-42': 77 });
  });

  it('counts a request with one random_id as posted on an answer naming no message, its id unknown', async () => {
    const call = answering(() => new Api.Updates({ updates: [], users: [], chats: [], date: 0, seq: 0 }));
    expect(await sendOnce({ call, wait: noWait, signal: never }, request)).toEqual({ '-42': null });
  });

  it('asks again after RANDOM_ID_DUPLICATE, 2 s, 4 s and 8 s later, then counts one random_id as posted, its id unknown', async () => {
    const waits: number[] = [];
    let asked = 0;
    const call = answering(() => {
      asked++;
      throw errors.RPCMessageToError(new Api.RpcError({ errorCode: 500, errorMessage: 'RANDOM_ID_DUPLICATE' }), request);
    });
    const sent = await sendOnce({ call, wait: async (milliseconds) => void waits.push(milliseconds), signal: never }, request);
    expect(sent).toEqual({ '-42': null });
    expect(asked).toBe(4);
    expect(waits).toEqual([2000, 4000, 8000]);
  });

  it('lets any other refusal through, recording nothing', async () => {
    const recorded: SentMessages[] = [];
    const call = answering(() => {
      throw errors.RPCMessageToError(new Api.RpcError({ errorCode: 403, errorMessage: 'CHAT_WRITE_FORBIDDEN' }), request);
    });
    await expect(sendOnce({ call, wait: noWait, signal: never, record: async (messages) => void recorded.push(messages) }, request)).rejects.toThrow('CHAT_WRITE_FORBIDDEN');
    expect(recorded).toEqual([]);
  });
});

describe('the Telegram sink, one request at a time', () => {
  let workspace: Workspace;
  let recorder: TelegramRecorder;

  beforeEach(async () => {
    workspace = await createWorkspace();
    recorder = new TelegramRecorder();
  });

  afterEach(async () => {
    await removeWorkspace(workspace);
  });

  /** A temp file holding `data`, as `materialise` would leave it. */
  const tempFile = async (index: number, name: string, media: MediaType, data: Buffer): Promise<TempFile> => {
    const path = join(workspace.root, `${index}.part`);
    await writeFile(path, data);
    return { entry: testEntry(index, name, { media, size: data.length }), path, size: data.length, media };
  };
  const photo = (index: number) => tempFile(index, `p${index}.png`, 'photo', pngBytes(48 + index, 32, index));
  const refusePhoto = (name: string) => {
    const refused = (request: Api.AnyRequest) => {
      const media = request instanceof Api.messages.UploadMedia || request instanceof Api.messages.SendMedia ? request.media : undefined;
      return media instanceof Api.InputMediaUploadedPhoto && 'name' in media.file && media.file.name === name;
    };
    recorder.fail('messages.UploadMedia', 400, 'PHOTO_INVALID_DIMENSIONS', { times: Infinity, where: refused });
    recorder.fail('messages.SendMedia', 400, 'PHOTO_INVALID_DIMENSIONS', { times: Infinity, where: refused });
  };
  const sends = () => recorder.requests.filter(({ request }) => request instanceof Api.messages.SendMedia || request instanceof Api.messages.SendMultiMedia);
  /** The sink's receipt for an album, with a journal of its own (an empty one: a first run, or one after a crash that lost it). */
  const deliver = (sink: Sink, album: Album, uploads: UploadJournal = notingJournal([]), signal = never): Promise<Receipt> =>
    firstValueFrom(from(sink.deliver(album, signal, { archive: 'a.zip', uploads })));
  /** An album needing five sends: p0 and p1 together, p2 (which Telegram refuses as a photo) alone, three pieces of big.bin. */
  const mixedAlbum = async (): Promise<Album> => {
    refusePhoto('p2.png');
    const big = await tempFile(3, 'big.bin', 'document', pseudoRandomBytes(2 * 300_000 + 1_234, 'big'));
    return { id: 'a1', group: 'visual', files: [await photo(0), await photo(1), await photo(2), big] };
  };

  it('sends an album, a photo Telegram refused and three pieces as five requests, recording each answer before the next request', async () => {
    const log: string[] = [];
    recorder.onRequest = (request) => {
      if (request instanceof Api.messages.SendMedia || request instanceof Api.messages.SendMultiMedia) log.push(request.className);
    };
    const album = await mixedAlbum();
    const { sink } = recordedSink(recorder, { maxFileSize: 300_000, split: true });
    const receipt = await deliver(sink, album, notingJournal(log));
    expect(log).toEqual([
      'messages.SendMultiMedia',
      'recorded 2',
      'messages.SendMedia',
      'recorded 1',
      ...['messages.SendMedia', 'recorded 1', 'messages.SendMedia', 'recorded 1', 'messages.SendMedia', 'recorded 1'],
    ]);
    const byRandomId = new Map(recorder.server.messages.map((message) => [message.randomId, message]));
    const idOf = (index: number, piece?: number) => String(byRandomId.get(randomIdOf('a1', index, piece))!.id);
    expect(receipt).toEqual({ items: [idOf(0), idOf(1), idOf(2), [0, 1, 2].map((piece) => idOf(3, piece)).join('+')] });
    expect(byRandomId.get(randomIdOf('a1', 2))).toMatchObject({ kind: 'document', caption: 'p2.png' });
  });

  const killed: [SeenAnswer, number][] = (['messages', 'RANDOM_ID_DUPLICATE'] as const).flatMap((seen) => [1, 2, 3, 4, 5].map((n): [SeenAnswer, number] => [seen, n]));
  it.each(killed)('with seen random_ids answered as %s, delivers the album once when the answer to send %i was lost, sending only from there', async (seenAnswer, n) => {
    const album = await mixedAlbum();
    const journal = notingJournal([]);
    // The device dies once Telegram has acted on the n-th send: its answer never comes.
    const aborter = new AbortController();
    let sends = 0;
    recorder.onAnswered = (request) => {
      if (!(request instanceof Api.messages.SendMedia || request instanceof Api.messages.SendMultiMedia) || ++sends !== n) return undefined;
      setImmediate(() => aborter.abort(new Error('killed')));
      return 'lose';
    };
    await expect(deliver(recordedSink(recorder, { maxFileSize: 300_000, split: true }).sink, album, journal, aborter.signal)).rejects.toThrow('killed');
    const before = recorder.requests.length;
    recorder.onAnswered = undefined;
    recorder.seenAnswer = seenAnswer;
    const receipt = await deliver(recordedSink(recorder, { maxFileSize: 300_000, split: true }).sink, album, journal);
    const byRandomId = new Map(recorder.server.messages.map((message) => [message.randomId, message]));
    expect(byRandomId.get(randomIdOf('a1', 2))).toMatchObject({ kind: 'document', caption: 'p2.png' });
    expect(recorder.server.messages.map((message) => message.caption).sort()).toEqual(['big.bin (1/3)', 'big.bin (2/3)', 'big.bin (3/3)', 'p0.png', 'p1.png', 'p2.png']);
    expect([0, 1, 2].map((piece) => byRandomId.get(randomIdOf('a1', 3, piece))!.size)).toEqual([300_000, 300_000, 1_234]);
    // The sends answered before the kill are not made again; the first of the second try is the lost one.
    const randomIds = (request: Api.AnyRequest) =>
      request instanceof Api.messages.SendMultiMedia ? request.multiMedia.map((single) => String(single.randomId)) : [String((request as Api.messages.SendMedia).randomId)];
    const sendsIn = (requests: typeof recorder.requests) => requests.filter(({ request }) => request instanceof Api.messages.SendMultiMedia || request instanceof Api.messages.SendMedia).map(({ request }) => randomIds(request));
    const [first, second] = [sendsIn(recorder.requests.slice(0, before)), sendsIn(recorder.requests.slice(before))];
    expect(first).toHaveLength(n);
    expect(second[0]).toEqual(first.at(-1));
    expect(second.flat().filter((randomId) => first.slice(0, -1).flat().includes(randomId))).toEqual([]);
    const name = (index: number, piece?: number) => (seenAnswer === 'messages' ? String(byRandomId.get(randomIdOf('a1', index, piece))!.id) : expect.stringMatching(/^\d+$|^sent-before$/));
    expect(receipt).toEqual({ items: [name(0), name(1), name(2), expect.stringContaining('+')] });
  });

  it('settles the random_ids of a send Telegram has seen with the ids of the messages it gives back', async () => {
    const album: Album = { id: 'a1', group: 'visual', files: [await photo(0), await photo(1), await photo(2)] };
    const first = await deliver(recordedSink(recorder).sink, album);
    // A run after a crash that lost the answer: the journal is empty, Telegram has the messages.
    const again = await deliver(recordedSink(recorder).sink, album);
    expect(again).toEqual(first);
    expect(recorder.server.messages).toHaveLength(3);
  });

  it('asks again after RANDOM_ID_DUPLICATE until Telegram gives back the messages, and records their ids', async () => {
    const album: Album = { id: 'a1', group: 'visual', files: [await photo(0), await photo(1)] };
    const first = await deliver(recordedSink(recorder).sink, album);
    recorder.fail('messages.SendMultiMedia', 500, 'RANDOM_ID_DUPLICATE', { times: 2 });
    const { sink, waits } = recordedSink(recorder);
    const journal = notingJournal([]);
    expect(await deliver(sink, album, journal)).toEqual(first);
    expect(waits).toEqual([2000, 4000]);
    expect(Object.values(journal.sentByAlbum.get('a1')!).map(String)).toEqual(first.items);
    expect(recorder.server.messages).toHaveLength(2);
  });

  it('counts an album Telegram keeps answering RANDOM_ID_DUPLICATE as posted only item by item: what it has not seen is posted alone', async () => {
    const two: Album = { id: 'a1', group: 'visual', files: [await photo(0), await photo(1)] };
    await deliver(recordedSink(recorder).sink, two);
    // The same album with one more file: Telegram has seen two of its three random_ids.
    const three: Album = { ...two, files: [...two.files, await photo(2)] };
    recorder.seenAnswer = 'RANDOM_ID_DUPLICATE';
    const receipt = await deliver(recordedSink(recorder).sink, three);
    const posted = recorder.server.messages.find((message) => message.randomId === randomIdOf('a1', 2))!;
    expect(receipt).toEqual({ items: ['sent-before', 'sent-before', String(posted.id)] });
    expect(recorder.server.messages.map((message) => message.caption).sort()).toEqual(['p0.png', 'p1.png', 'p2.png']);
  });

  it('posts alone the file of an album whose answer gives back only the messages Telegram had', async () => {
    const two: Album = { id: 'a1', group: 'visual', files: [await photo(0), await photo(1)] };
    const first = await deliver(recordedSink(recorder).sink, two);
    const three: Album = { ...two, files: [...two.files, await photo(2)] };
    const receipt = await deliver(recordedSink(recorder).sink, three);
    const posted = recorder.server.messages.find((message) => message.randomId === randomIdOf('a1', 2))!;
    expect(receipt).toEqual({ items: [...first.items, String(posted.id)] });
    expect(recorder.server.messages).toHaveLength(3);
    expect(sends().map(({ request }) => request.className)).toEqual(['messages.SendMultiMedia', 'messages.SendMultiMedia', 'messages.SendMedia']);
  });

  it('retries an album after a timeout between its sends without making the answered ones again', async () => {
    const archive = join(workspace.root, 'retry.zip');
    const photos = [0, 1, 2].map((i) => ({ name: `p${i}.png`, data: pngBytes(48 + i, 32, i) }));
    await writeZip(archive, photos);
    refusePhoto('p1.png');
    // The refused photo goes alone, as a document Telegram stored: the first try times out.
    recorder.fail('messages.SendMedia', -503, 'Timeout', { where: (request) => (request as Api.messages.SendMedia).media instanceof Api.InputMediaDocument });
    const { sink } = recordedSink(recorder);
    const { summary } = await runSend(archive, { sink, state: workspace.state, attempts: 2, backoff: 1 });
    expect(summary).toMatchObject({ delivered: 3, failed: [] });
    // The album went once; the retry sent only the refused photo (tried as a photo again, then as a document).
    expect(recorder.of('messages.SendMultiMedia')).toHaveLength(1);
    expect(recorder.of<Api.messages.SendMedia>('messages.SendMedia').map((request) => request.media.className)).toEqual([
      'InputMediaDocument',
      'InputMediaUploadedPhoto',
      'InputMediaUploadedDocument',
    ]);
    expect(recorder.server.messages.map((message) => [message.caption, message.sha256]).sort()).toEqual(photos.map((file) => [file.name, sha256(file.data)]));
  });
});
