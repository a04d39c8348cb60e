import { createCipheriv, createHash } from 'node:crypto';
import { readdirSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Api, errors } from 'telegram';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { UploadRecord } from '../../src/sinks/sink.js';
import { telegramCall, type TelegramCall } from '../../src/telegram/telegramCall.js';
import { bigFileThreshold, partSize, uploadFile, type UploadFileOptions } from '../../src/sinks/telegram/uploadFile.js';
import { partSlots } from '../../src/sinks/telegram/partSlots.js';
import { TelegramRecorder } from '../support/telegramRecorder.js';
import { virtualWait } from './support.js';

type PartRequest = Api.upload.SaveFilePart | Api.upload.SaveBigFilePart;

/**
 * Bytes that differ everywhere, the same for the same seed: an AES-CTR key stream, fast enough for
 * files past 10 MiB (hashing them out 32 bytes at a time takes seconds).
 */
function streamBytes(length: number, seed: string): Buffer {
  const cipher = createCipheriv('aes-256-ctr', createHash('sha256').update(seed).digest(), Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(length)), cipher.final()]);
}

/** The file descriptors this process holds open on a path (Linux: /proc/self/fd). */
function descriptorsOn(path: string): string[] {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(join('/proc/self/fd', fd)) === path;
    } catch {
      return false;
    }
  });
}

describe('uploadFile', () => {
  let folder: string;
  let recorder: TelegramRecorder;
  let call: TelegramCall;
  let waits: number[];
  let wait: UploadFileOptions['wait'];

  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'unspool-upload-'));
    recorder = new TelegramRecorder();
    ({ waits, wait } = virtualWait());
    call = telegramCall(recorder.client, wait);
  });

  afterEach(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  async function fileOf(size: number, seed = 'upload'): Promise<{ path: string; data: Buffer }> {
    const data = streamBytes(size, seed);
    const path = join(folder, `${seed}-${size}.part`);
    await writeFile(path, data);
    return { path, data };
  }

  /** An upload with a budget of its own of `workers` parts in flight, when given. */
  const upload = (path: string, size: number, { workers, ...more }: Partial<UploadFileOptions> & { workers?: number } = {}) =>
    uploadFile({ call, path, size, name: 'file.bin', wait, signal: new AbortController().signal, ...(workers ? { slots: partSlots(workers) } : {}), ...more });

  /** The part requests sent, in the order they were sent. */
  const partRequests = () => recorder.requests.map((entry) => entry.request).filter((request): request is PartRequest => request instanceof Api.upload.SaveFilePart || request instanceof Api.upload.SaveBigFilePart);
  /** The same, by part number: workers read their parts concurrently, so they may go out of order. */
  const partsInOrder = () => partRequests().sort((a, b) => a.filePart - b.filePart);

  /** What Telegram holds for a file id, parts in order. */
  const heldBytes = (fileId: string) => {
    const parts = recorder.server.parts.get(fileId)!;
    return Buffer.concat([...parts.keys()].sort((a, b) => a - b).map((part) => parts.get(part)!));
  };

  it('sends a file of exactly three parts as three full 512 KiB parts with saveFilePart', async () => {
    const { path, data } = await fileOf(3 * partSize);
    const file = await upload(path, data.length);
    const parts = partsInOrder();
    expect(parts.every((part) => part instanceof Api.upload.SaveFilePart)).toBe(true);
    expect(parts.map((part) => [part.filePart, part.bytes.length])).toEqual([
      [0, partSize],
      [1, partSize],
      [2, partSize],
    ]);
    expect(file).toBeInstanceOf(Api.InputFile);
    expect(file).toMatchObject({ parts: 3, name: 'file.bin', md5Checksum: '' });
    expect(parts.every((part) => part.fileId.equals(file.id))).toBe(true);
    expect(heldBytes(file.id.toString()).equals(data)).toBe(true);
  });

  it('sends the rest of a file that is not a whole number of parts as a shorter last part', async () => {
    const { path, data } = await fileOf(2 * partSize + 1_000);
    const file = await upload(path, data.length);
    expect(partsInOrder().map((part) => part.bytes.length)).toEqual([partSize, partSize, 1_000]);
    expect(file.parts).toBe(3);
    expect(heldBytes(file.id.toString()).equals(data)).toBe(true);
  });

  it('sends a file of exactly 512 KiB as one part', async () => {
    const { path, data } = await fileOf(partSize);
    const file = await upload(path, data.length);
    expect(partRequests().map((part) => [part.className, part.filePart, part.bytes.length])).toEqual([['upload.SaveFilePart', 0, partSize]]);
    expect(file.parts).toBe(1);
  });

  it('sends a file of a few bytes as one part of those bytes', async () => {
    const { path, data } = await fileOf(100);
    const file = await upload(path, data.length);
    expect(partRequests().map((part) => Buffer.from(part.bytes).equals(data))).toEqual([true]);
    expect(file.parts).toBe(1);
  });

  it('uses saveFilePart for a file of exactly 10 MiB', async () => {
    const { path, data } = await fileOf(bigFileThreshold);
    const file = await upload(path, data.length);
    expect(recorder.of('upload.SaveBigFilePart')).toHaveLength(0);
    expect(recorder.of('upload.SaveFilePart')).toHaveLength(20);
    expect(file).toBeInstanceOf(Api.InputFile);
    expect(heldBytes(file.id.toString()).equals(data)).toBe(true);
  });

  it('uses saveBigFilePart, with the total declared in every part, for 10 MiB and one byte', async () => {
    const { path, data } = await fileOf(bigFileThreshold + 1);
    const file = await upload(path, data.length);
    expect(recorder.of('upload.SaveFilePart')).toHaveLength(0);
    const parts = recorder.of<Api.upload.SaveBigFilePart>('upload.SaveBigFilePart');
    expect(parts).toHaveLength(21);
    expect(new Set(parts.map((part) => part.fileTotalParts))).toEqual(new Set([21]));
    expect(parts.find((part) => part.filePart === 20)!.bytes.length).toBe(1);
    expect(file).toBeInstanceOf(Api.InputFileBig);
    expect(file).toMatchObject({ parts: 21, name: 'file.bin' });
    expect(heldBytes(file.id.toString()).equals(data)).toBe(true);
  });

  it('sends only the parts an earlier attempt did not confirm, under the same file id', async () => {
    const { path, data } = await fileOf(6 * partSize + 10);
    const earlier: UploadRecord = { fileId: '8070450532247928832', size: data.length, partSize, parts: [[0, 3]] };
    const records: UploadRecord[] = [];
    const file = await upload(path, data.length, { earlier, onPart: (record) => records.push(record) });
    const parts = partsInOrder();
    expect(parts.map((part) => part.filePart)).toEqual([4, 5, 6]);
    expect(parts.every((part) => part.fileId.toString() === earlier.fileId)).toBe(true);
    expect(file.id.toString()).toBe(earlier.fileId);
    expect(file.parts).toBe(7);
    expect(records.at(-1)).toEqual({ fileId: earlier.fileId, size: data.length, partSize, parts: [[0, 6]] });
    // The earlier record is the caller's: it is not changed in place.
    expect(earlier.parts).toEqual([[0, 3]]);
  });

  it('sends nothing when an earlier attempt confirmed every part', async () => {
    const { path, data } = await fileOf(2 * partSize);
    const file = await upload(path, data.length, { earlier: { fileId: '42', size: data.length, partSize, parts: [[0, 1]] } });
    expect(recorder.requests).toEqual([]);
    expect(file).toMatchObject({ parts: 2 });
    expect(file.id.toString()).toBe('42');
  });

  it.each([
    ['a different size', { size: 5 * partSize, partSize }],
    ['a different part size', { size: 4 * partSize, partSize: partSize / 2 }],
  ])('starts over under a new file id when the earlier record is of %s', async (_, stale) => {
    const { path, data } = await fileOf(4 * partSize);
    const file = await upload(path, data.length, { earlier: { fileId: '42', ...stale, parts: [[0, 2]] } });
    const parts = partsInOrder();
    expect(parts.map((part) => part.filePart)).toEqual([0, 1, 2, 3]);
    expect(file.id.toString()).not.toBe('42');
    expect(parts.every((part) => part.fileId.equals(file.id))).toBe(true);
  });

  it('tells onPart of every confirmed part, with the merged ranges so far', async () => {
    const { path, data } = await fileOf(3 * partSize);
    const records: UploadRecord[] = [];
    const file = await upload(path, data.length, { workers: 1, onPart: (record) => records.push(record) });
    expect(records.map((record) => record.parts)).toEqual([[[0, 0]], [[0, 1]], [[0, 2]]]);
    expect(new Set(records.map((record) => record.fileId))).toEqual(new Set([file.id.toString()]));
  });

  it.each([1, 3, 4])('keeps at most %i parts in flight at once, and reaches that many', async (workers) => {
    const { path, data } = await fileOf(12 * partSize);
    let inFlight = 0;
    let most = 0;
    recorder.onRequest = async () => {
      most = Math.max(most, ++inFlight);
      await sleep(30);
      inFlight--;
    };
    await upload(path, data.length, { workers });
    expect(most).toBe(workers);
    expect(partRequests()).toHaveLength(12);
  });

  it('keeps four parts in flight by default', async () => {
    const { path, data } = await fileOf(8 * partSize);
    let inFlight = 0;
    let most = 0;
    recorder.onRequest = async () => {
      most = Math.max(most, ++inFlight);
      await sleep(30);
      inFlight--;
    };
    await upload(path, data.length);
    expect(most).toBe(4);
  });

  it('sends a timed-out part again after 1 s, then 2 s, under the same request', async () => {
    const { path, data } = await fileOf(2 * partSize);
    recorder.fail('upload.SaveFilePart', -503, 'Timeout', { times: 2, where: (request) => (request as Api.upload.SaveFilePart).filePart === 1 });
    const file = await upload(path, data.length, { workers: 1 });
    expect(waits).toEqual([1_000, 2_000]);
    expect(partRequests().map((part) => part.filePart)).toEqual([0, 1, 1, 1]);
    expect(heldBytes(file.id.toString()).equals(data)).toBe(true);
  });

  it('gives up on a part after five tries', async () => {
    const { path, data } = await fileOf(partSize);
    recorder.fail('upload.SaveFilePart', -503, 'Timeout', { times: 10 });
    const error = await upload(path, data.length).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(errors.RPCError);
    expect((error as errors.RPCError).errorMessage).toBe('Timeout');
    expect(waits).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(partRequests()).toHaveLength(5);
  });

  it('fails at once on a refusal no retry changes, with every worker stopped and the file closed', async () => {
    const { path, data } = await fileOf(10 * partSize);
    recorder.fail('upload.SaveFilePart', 400, 'FILE_PART_SIZE_INVALID', { where: (request) => (request as Api.upload.SaveFilePart).filePart === 2 });
    let inFlight = 0;
    recorder.onRequest = async (request) => {
      // Part 2 fails at once; the others take a while, so the other worker is mid-part then.
      if ((request as Api.upload.SaveFilePart).filePart === 2) return;
      inFlight++;
      await sleep(20);
      inFlight--;
    };
    const error = await upload(path, data.length, { workers: 2 }).catch((reason: unknown) => reason);
    const inFlightAtFailure = inFlight;
    expect((error as errors.RPCError).errorMessage).toBe('FILE_PART_SIZE_INVALID');
    expect(waits).toEqual([]);
    expect(partRequests().filter((part) => part.filePart === 2)).toHaveLength(1);
    // Parts 0 to 3 at most: the other worker finishes its part and takes no new one.
    expect(partsInOrder().map((part) => part.filePart)).toEqual(partRequests().length === 4 ? [0, 1, 2, 3] : [0, 1, 2]);
    expect(inFlightAtFailure).toBe(0);
    expect(descriptorsOn(path)).toEqual([]);
    const sent = partRequests().length;
    await sleep(50);
    expect(partRequests()).toHaveLength(sent);
  });

  it('stops when the signal aborts, rejecting with its reason, and closes the file', async () => {
    const { path, data } = await fileOf(10 * partSize);
    const controller = new AbortController();
    const reason = new Error('stopped by the test');
    recorder.onRequest = async (request) => {
      if ((request as Api.upload.SaveFilePart).filePart === 3) controller.abort(reason);
      await sleep(10);
    };
    const error = await upload(path, data.length, { workers: 1, signal: controller.signal }).catch((thrown: unknown) => thrown);
    expect(error).toBe(reason);
    expect(partRequests().map((part) => part.filePart)).toEqual([0, 1, 2, 3]);
    expect(descriptorsOn(path)).toEqual([]);
    await sleep(50);
    expect(partRequests()).toHaveLength(4);
  });

  it('sends nothing when the signal has already aborted', async () => {
    const { path, data } = await fileOf(2 * partSize);
    const controller = new AbortController();
    controller.abort(new Error('too late'));
    await expect(upload(path, data.length, { signal: controller.signal })).rejects.toThrow('too late');
    expect(recorder.requests).toEqual([]);
    expect(descriptorsOn(path)).toEqual([]);
  });

  it('uploads one piece of a file, from an offset, as a file of its own', async () => {
    const { path, data } = await fileOf(3 * partSize);
    const file = await upload(path, partSize + 5, { offset: partSize - 5 });
    expect(file.parts).toBe(2);
    expect(heldBytes(file.id.toString()).equals(data.subarray(partSize - 5, 2 * partSize))).toBe(true);
  });
});
