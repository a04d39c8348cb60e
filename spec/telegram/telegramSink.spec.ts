import { join } from 'node:path';
import { Api } from 'telegram';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomIdOf } from '../../src/telegram/randomId.js';
import { pngBytes, sampleMedia } from '../support/media.js';
import { runSend } from '../support/runSend.js';
import { pseudoRandomBytes, sha256 } from '../support/sampleBytes.js';
import { TelegramRecorder } from '../support/telegramRecorder.js';
import { createWorkspace, removeWorkspace, type Workspace } from '../support/workspace.js';
import { writeZip } from '../support/zipFixtures.js';
import { manifestOnDisk } from '../support/workspace.js';
import { recordedSink } from './support.js';

const photos = Array.from({ length: 12 }, (_, i) => ({ name: `photos/p${String(i).padStart(2, '0')}.png`, data: pngBytes(64 + i, 48, i) }));
const clip = { name: 'clips/clip.mp4', data: sampleMedia('clip-faststart.mp4') };
const songs = [
  { name: 'music/one.mp3', data: sampleMedia('tone.mp3') },
  { name: 'music/two.mp3', data: Buffer.concat([sampleMedia('tone.mp3')]) },
];
const manual = { name: 'docs/manual.bin', data: pseudoRandomBytes(1_300_000, 'manual') };

describe('the Telegram sink through a recorded TelegramClient', () => {
  let workspace: Workspace;
  let recorder: TelegramRecorder;

  beforeEach(async () => {
    workspace = await createWorkspace();
    recorder = new TelegramRecorder();
  });

  afterEach(async () => {
    await removeWorkspace(workspace);
  });

  it('uploads in 512 KiB parts, sends one sendMultiMedia per album with the manifest\'s random_ids, and delivers every byte', async () => {
    const archive = join(workspace.root, 'mixed.zip');
    const files = [...photos, clip, ...songs, manual];
    await writeZip(archive, files);
    const seenInFlight: string[][] = [];
    recorder.onRequest = (request) => {
      if (!(request instanceof Api.messages.SendMultiMedia)) return;
      // What the manifest on disk says at the moment of the send: the album is recorded in flight
      // (the next one may be too: it is recorded while this one is being sent).
      const { inFlight } = manifestOnDisk(workspace.state);
      const sent = request.multiMedia.map((single) => String(single.randomId));
      const recorded = Object.entries(inFlight).map(([id, record]) => record.entries.map((entry) => randomIdOf(id, entry)));
      seenInFlight.push(sent);
      expect(recorded).toContainEqual(sent);
    };
    const { sink } = recordedSink(recorder);
    const { summary } = await runSend(archive, { sink, state: workspace.state });

    expect(summary).toMatchObject({ entries: files.length, delivered: files.length, skipped: [], failed: [] });
    // Photos and the video share albums; the songs make one; the lone document goes with sendMedia.
    const multi = recorder.of<Api.messages.SendMultiMedia>('messages.SendMultiMedia');
    expect(multi.map((request) => request.multiMedia.length)).toEqual([10, 3, 2]);
    expect(seenInFlight).toHaveLength(3);
    expect(recorder.of('messages.SendMedia')).toHaveLength(1);
    expect(recorder.of('messages.UploadMedia')).toHaveLength(15);

    // Every byte arrived, each file once, captioned with its path.
    const messages = recorder.server.messages;
    expect(messages.map((message) => message.caption).sort()).toEqual(files.map((file) => file.name).sort());
    for (const file of files) expect(messages.find((message) => message.caption === file.name)?.sha256).toBe(sha256(file.data));

    // 1.3 MB in three parts of 512 KiB, 512 KiB and the rest, all with saveFilePart (under 10 MB).
    const manualParts = recorder.of<Api.upload.SaveFilePart>('upload.SaveFilePart').filter((part) => part.bytes.length !== photos[0]!.data.length);
    const sizes = manualParts.filter((part) => part.fileId.equals(manualParts.find((p) => p.bytes.length === 524_288)!.fileId)).map((part) => part.bytes.length);
    expect(sizes.sort((a, b) => b - a)).toEqual([524_288, 524_288, 1_300_000 - 2 * 524_288]);
    expect(recorder.of('upload.SaveBigFilePart')).toEqual([]);
  });

  it('tells Telegram how to show each file: photos as photos, videos and songs with their metadata', async () => {
    const archive = join(workspace.root, 'kinds.zip');
    await writeZip(archive, [photos[0]!, photos[1]!, clip, songs[0]!, { name: 'readme.txt', data: 'hello' }]);
    const { sink } = recordedSink(recorder);
    await runSend(archive, { sink, state: workspace.state });
    const byCaption = new Map(recorder.server.messages.map((message) => [message.caption, message]));
    expect(byCaption.get(photos[0]!.name)?.kind).toBe('photo');
    const video = byCaption.get(clip.name)!;
    expect(video.attributes.find((attribute) => attribute instanceof Api.DocumentAttributeVideo)).toMatchObject({ w: 320, h: 240, duration: 2, supportsStreaming: true });
    expect(video.mimeType).toBe('video/mp4');
    const song = byCaption.get(songs[0]!.name)!;
    expect(song.attributes.find((attribute) => attribute instanceof Api.DocumentAttributeAudio)).toMatchObject({ duration: 3, title: 'Test Tone', performer: 'unspool' });
    const readme = byCaption.get('readme.txt')!;
    expect(readme).toMatchObject({ kind: 'document', fileName: 'readme.txt', mimeType: 'text/plain' });
  });

  it('uploads a file over 10 MB with saveBigFilePart, every part but the last 512 KiB, under one file id', async () => {
    const archive = join(workspace.root, 'big.zip');
    const big = { name: 'big.bin', data: pseudoRandomBytes(11 * 1024 * 1024 + 1000, 'big'), compress: false };
    await writeZip(archive, [big]);
    const { sink } = recordedSink(recorder);
    const { summary } = await runSend(archive, { sink, state: workspace.state });
    expect(summary.delivered).toBe(1);
    const parts = recorder.of<Api.upload.SaveBigFilePart>('upload.SaveBigFilePart');
    expect(parts).toHaveLength(23);
    expect(new Set(parts.map((part) => part.fileId.toString())).size).toBe(1);
    expect(new Set(parts.map((part) => part.fileTotalParts))).toEqual(new Set([23]));
    expect(parts.map((part) => part.filePart).sort((a, b) => a - b)).toEqual(Array.from({ length: 23 }, (_, i) => i));
    expect(parts.filter((part) => part.filePart < 22).every((part) => part.bytes.length === 524_288)).toBe(true);
    expect(recorder.of('upload.SaveFilePart')).toEqual([]);
    const [send] = recorder.of<Api.messages.SendMedia>('messages.SendMedia');
    expect((send!.media as Api.InputMediaUploadedDocument).file).toBeInstanceOf(Api.InputFileBig);
    expect(recorder.server.messages[0]!.sha256).toBe(sha256(big.data));
  });

  it('sends a photo over Telegram\'s limits as a document, outside the photo album', async () => {
    const archive = join(workspace.root, 'limits.zip');
    const wide = { name: 'panorama.png', data: pngBytes(12_000, 100) };
    const thin = { name: 'strip.png', data: pngBytes(2_100, 100) };
    await writeZip(archive, [photos[0]!, wide, photos[1]!, thin, photos[2]!]);
    const { sink } = recordedSink(recorder);
    const { summary } = await runSend(archive, { sink, state: workspace.state });
    expect(summary.delivered).toBe(5);
    const [album] = recorder.of<Api.messages.SendMultiMedia>('messages.SendMultiMedia');
    expect(album!.multiMedia.every((single) => single.media instanceof Api.InputMediaPhoto)).toBe(true);
    expect(album!.multiMedia).toHaveLength(3);
    const byCaption = new Map(recorder.server.messages.map((message) => [message.caption, message]));
    for (const name of [wide.name, thin.name]) expect(byCaption.get(name)).toMatchObject({ kind: 'document', mimeType: 'image/png' });
    const documents = recorder.of<Api.messages.UploadMedia>('messages.UploadMedia').filter((request) => request.media instanceof Api.InputMediaUploadedDocument);
    expect(documents.every((request) => (request.media as Api.InputMediaUploadedDocument).forceFile)).toBe(true);
  });

  it('resends a photo Telegram cannot process as a document, alone, after the album', async () => {
    const archive = join(workspace.root, 'refused.zip');
    await writeZip(archive, photos.slice(0, 3));
    recorder.fail('messages.UploadMedia', 400, 'PHOTO_INVALID_DIMENSIONS', { where: (request) => (request as Api.messages.UploadMedia).media instanceof Api.InputMediaUploadedPhoto });
    const { sink } = recordedSink(recorder);
    const { summary } = await runSend(archive, { sink, state: workspace.state });
    expect(summary).toMatchObject({ delivered: 3, failed: [] });
    expect(recorder.of<Api.messages.SendMultiMedia>('messages.SendMultiMedia').map((request) => request.multiMedia.length)).toEqual([2]);
    const alone = recorder.of<Api.messages.SendMedia>('messages.SendMedia');
    expect(alone).toHaveLength(1);
    expect(alone[0]!.media).toBeInstanceOf(Api.InputMediaDocument);
    expect(recorder.server.messages.find((message) => message.caption === photos[0]!.name)).toMatchObject({ kind: 'document' });
  });

  it('waits out FLOOD_WAIT and SLOWMODE_WAIT exactly, without spending an attempt', async () => {
    const archive = join(workspace.root, 'flood.zip');
    await writeZip(archive, [...photos.slice(0, 2), manual]);
    recorder.fail('messages.SendMultiMedia', 420, 'FLOOD_WAIT_7');
    recorder.fail('messages.SendMedia', 420, 'SLOWMODE_WAIT_3');
    recorder.fail('upload.SaveFilePart', 420, 'FLOOD_WAIT_1', { times: 2 });
    const heard: number[] = [];
    const { sink, waits } = recordedSink(recorder, { onFloodWait: (seconds) => heard.push(seconds) });
    const { summary } = await runSend(archive, { sink, state: workspace.state, attempts: 1 });
    expect(summary).toMatchObject({ delivered: 3, failed: [] });
    expect(waits.sort((a, b) => a - b)).toEqual([1000, 1000, 3000, 7000]);
    expect(heard.sort((a, b) => a - b)).toEqual([1, 1, 3, 7]);
    expect(recorder.of('messages.SendMultiMedia')).toHaveLength(2);
    expect(recorder.server.messages).toHaveLength(3);
  });

  it('sends a timed-out part again after 1 s, then 2 s', async () => {
    const archive = join(workspace.root, 'timeout.zip');
    await writeZip(archive, [manual]);
    recorder.fail('upload.SaveFilePart', -503, 'Timeout', { times: 2 });
    const { sink, waits } = recordedSink(recorder);
    const { summary } = await runSend(archive, { sink, state: workspace.state });
    expect(summary.delivered).toBe(1);
    expect(waits).toEqual([1000, 2000]);
    expect(recorder.of('upload.SaveFilePart')).toHaveLength(3 + 2);
    expect(recorder.server.messages[0]!.sha256).toBe(sha256(manual.data));
  });

  it('uploads the whole file again when Telegram answers FILE_PARTS_INVALID', async () => {
    const archive = join(workspace.root, 'lost.zip');
    await writeZip(archive, [manual]);
    recorder.onAnswered = (request) => {
      // Telegram forgets the parts right after the last one is confirmed.
      if (request instanceof Api.upload.SaveFilePart && recorder.of('upload.SaveFilePart').length === 3) recorder.server.forgetUploads();
      return undefined;
    };
    const { sink } = recordedSink(recorder);
    const { summary } = await runSend(archive, { sink, state: workspace.state });
    expect(summary.delivered).toBe(1);
    const parts = recorder.of<Api.upload.SaveFilePart>('upload.SaveFilePart');
    expect(parts).toHaveLength(6);
    expect(parts[0]!.fileId.equals(parts[3]!.fileId)).toBe(false);
    expect(recorder.server.messages[0]!.sha256).toBe(sha256(manual.data));
  });

  it('sends only the part Telegram says is missing (FILE_PART_X_MISSING)', async () => {
    const archive = join(workspace.root, 'missing.zip');
    await writeZip(archive, [manual]);
    recorder.onAnswered = (request) => {
      if (request instanceof Api.upload.SaveFilePart && recorder.of('upload.SaveFilePart').length === 3) {
        recorder.server.parts.get(request.fileId.toString())!.delete(1);
      }
      return undefined;
    };
    const { sink } = recordedSink(recorder);
    const { summary } = await runSend(archive, { sink, state: workspace.state });
    expect(summary.delivered).toBe(1);
    const parts = recorder.of<Api.upload.SaveFilePart>('upload.SaveFilePart').map((part) => part.filePart);
    expect(parts.sort()).toEqual([0, 1, 1, 2]);
    expect(recorder.server.messages[0]!.sha256).toBe(sha256(manual.data));
  });

  it('fails the album at once with Telegram\'s error name when retrying cannot help', async () => {
    const archive = join(workspace.root, 'forbidden.zip');
    await writeZip(archive, photos.slice(0, 2));
    recorder.fail('messages.SendMultiMedia', 403, 'CHAT_WRITE_FORBIDDEN', { times: 10 });
    const { sink } = recordedSink(recorder);
    const { summary } = await runSend(archive, { sink, state: workspace.state, attempts: 3, backoff: 1 });
    expect(summary.delivered).toBe(0);
    expect(summary.failed.map((item) => [item.entry, item.reason])).toEqual(photos.slice(0, 2).map((photo) => [photo.name, 'CHAT_WRITE_FORBIDDEN']));
    expect(recorder.of('messages.SendMultiMedia')).toHaveLength(1);
    expect(recorder.server.messages).toEqual([]);
  });

  it('retries an album after a timeout without uploading its confirmed parts again', async () => {
    const archive = join(workspace.root, 'retry.zip');
    await writeZip(archive, [...photos.slice(0, 2), manual]);
    recorder.fail('messages.SendMultiMedia', -503, 'Timeout');
    const { sink } = recordedSink(recorder);
    const { summary } = await runSend(archive, { sink, state: workspace.state, attempts: 2, backoff: 1 });
    expect(summary).toMatchObject({ delivered: 3, failed: [] });
    expect(recorder.of('messages.SendMultiMedia')).toHaveLength(2);
    // Two one-part photos and the three-part manual, each part once.
    expect(recorder.of('upload.SaveFilePart')).toHaveLength(5);
    expect(recorder.server.messages).toHaveLength(3);
  });

  it('skips a file over the upload limit as too-large, before writing a byte of it', async () => {
    const archive = join(workspace.root, 'limit.zip');
    const huge = { name: 'huge.bin', data: pseudoRandomBytes(1_600_000, 'huge'), compress: false };
    await writeZip(archive, [huge, photos[0]!]);
    const { sink } = recordedSink(recorder, { maxFileSize: 1_000_000 });
    const { summary } = await runSend(archive, { sink, state: workspace.state });
    expect(summary.skipped).toEqual([{ entry: 'huge.bin', reason: 'too-large', detail: expect.stringContaining('1000000') }]);
    expect(summary.delivered).toBe(1);
    expect(recorder.server.messages.map((message) => message.caption)).toEqual([photos[0]!.name]);
  });

  it('with split, sends a file over the limit as numbered documents that join back byte for byte', async () => {
    const archive = join(workspace.root, 'split.zip');
    const huge = { name: 'movies/huge.mkv', data: pseudoRandomBytes(2 * 1_048_576 + 12_345, 'split'), compress: false };
    const note = { name: 'note.txt', data: 'small files go whole' };
    await writeZip(archive, [huge, note]);
    const { sink } = recordedSink(recorder, { maxFileSize: 1_048_576, split: true });
    const { summary } = await runSend(archive, { sink, state: workspace.state });
    expect(summary).toMatchObject({ delivered: 2, skipped: [], failed: [] });
    const pieces = recorder.server.messages.filter((message) => message.fileName?.startsWith('huge.mkv.'));
    expect(pieces.map((piece) => [piece.fileName, piece.size, piece.caption])).toEqual([
      ['huge.mkv.001', 1_048_576, 'movies/huge.mkv (1/3)'],
      ['huge.mkv.002', 1_048_576, 'movies/huge.mkv (2/3)'],
      ['huge.mkv.003', 12_345, 'movies/huge.mkv (3/3)'],
    ]);
    expect(recorder.server.messages).toHaveLength(4);
    // Each piece is the next slice of the file, so joining them in order (`cat`) gives it back.
    expect(pieces.map((piece) => piece.sha256)).toEqual([
      sha256(huge.data.subarray(0, 1_048_576)),
      sha256(huge.data.subarray(1_048_576, 2_097_152)),
      sha256(huge.data.subarray(2_097_152)),
    ]);
    expect(recorder.server.messages.find((message) => message.caption === note.name)?.sha256).toBe(sha256(note.data));
  });
});
