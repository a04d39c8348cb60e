import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MediaType } from '../../src/entry.js';
import { fitsAsPhoto, mimeTypeOf, photoLimits, readMediaInfo } from '../../src/sinks/telegram/mediaInfo.js';
import type { TempFile } from '../../src/step.js';
import { pngBytes, sampleMedia } from '../support/media.js';
import { pseudoRandomBytes } from '../support/sampleBytes.js';
import { testEntry } from '../support/steps.js';

const MiB = 1024 * 1024;

describe('readMediaInfo on real files', () => {
  let folder: string;
  let written = 0;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'unspool-media-'));
  });

  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  /** Writes bytes to a temp file (a generated name, as the pipeline does) and describes it. */
  async function tempFile(name: string, media: MediaType, data: Buffer): Promise<TempFile> {
    const path = join(folder, `${++written}.part`);
    await writeFile(path, data);
    return { entry: testEntry(written, name, { media, size: data.length }), path, size: data.length, media };
  }

  it('reads a faststart mp4 as a 320×240 video of 2 s that streams', async () => {
    const info = await readMediaInfo(await tempFile('clips/clip.mp4', 'video', sampleMedia('clip-faststart.mp4')));
    expect(info).toEqual({ media: 'video', mimeType: 'video/mp4', width: 320, height: 240, duration: 2, supportsStreaming: true });
  });

  it('reads an mp4 with its index at the end as a video that does not stream', async () => {
    const info = await readMediaInfo(await tempFile('clip.MP4', 'video', sampleMedia('clip-tail-index.mp4')));
    expect(info).toEqual({ media: 'video', mimeType: 'video/mp4', width: 320, height: 240, duration: 2, supportsStreaming: false });
  });

  it('reads a webm\'s pixels with music-metadata', async () => {
    const info = await readMediaInfo(await tempFile('clip.webm', 'video', sampleMedia('clip.webm')));
    expect(info).toMatchObject({ media: 'video', mimeType: 'video/webm', width: 256, height: 144, supportsStreaming: false });
    expect(info.duration).toBeCloseTo(2, 0);
  });

  it('reads an mp3\'s duration, title and performer', async () => {
    const info = await readMediaInfo(await tempFile('music/tone.mp3', 'audio', sampleMedia('tone.mp3')));
    expect(info).toMatchObject({ media: 'audio', mimeType: 'audio/mpeg', title: 'Test Tone', performer: 'unspool' });
    expect(info.duration).toBeGreaterThan(2.9);
    expect(info.duration).toBeLessThan(3.2);
  });

  it('sends a 64×48 PNG as a photo with its pixels', async () => {
    const info = await readMediaInfo(await tempFile('p.png', 'photo', pngBytes(64, 48)));
    expect(info).toEqual({ media: 'photo', mimeType: 'image/png', width: 64, height: 48 });
  });

  it('sends a 12000×100 PNG as a document: width plus height over 10000', async () => {
    const info = await readMediaInfo(await tempFile('wide.png', 'photo', pngBytes(12_000, 100)));
    expect(info).toEqual({ media: 'document', mimeType: 'image/png', width: 12_000, height: 100 });
  });

  it('sends a 2100×100 PNG as a document: sides in a ratio of 21, over 20', async () => {
    const info = await readMediaInfo(await tempFile('strip.png', 'photo', pngBytes(2100, 100)));
    expect(info).toEqual({ media: 'document', mimeType: 'image/png', width: 2100, height: 100 });
  });

  it('sends a 2000×100 PNG as a photo: a ratio of exactly 20 is allowed', async () => {
    const info = await readMediaInfo(await tempFile('banner.png', 'photo', pngBytes(2000, 100)));
    expect(info).toEqual({ media: 'photo', mimeType: 'image/png', width: 2000, height: 100 });
  });

  it('sends a 100×2100 PNG (portrait) as a document too', async () => {
    const info = await readMediaInfo(await tempFile('tall.png', 'photo', pngBytes(100, 2100)));
    expect(info.media).toBe('document');
  });

  it('sends an image over 10 MiB as a document without reading its header', async () => {
    // A valid 64×48 PNG padded past the limit: had its header been read, the pixels would be here.
    const png = pngBytes(64, 48);
    const file = await tempFile('huge.png', 'photo', Buffer.concat([png, Buffer.alloc(photoLimits.bytes + 1 - png.length)]));
    expect(file.size).toBe(10 * MiB + 1);
    expect(await readMediaInfo(file)).toEqual({ media: 'document', mimeType: 'image/png' });
  });

  it('sends garbage named .mp4 as a document', async () => {
    const info = await readMediaInfo(await tempFile('fake.mp4', 'video', pseudoRandomBytes(300_000, 'not a movie')));
    expect(info).toEqual({ media: 'document', mimeType: 'video/mp4' });
  });

  it('sends an mp4 cut off before its index as a document', async () => {
    const clip = sampleMedia('clip-tail-index.mp4');
    const info = await readMediaInfo(await tempFile('cut.mp4', 'video', clip.subarray(0, Math.floor(clip.length / 2))));
    expect(info).toEqual({ media: 'document', mimeType: 'video/mp4' });
  });

  it('sends garbage named .png as a document', async () => {
    const info = await readMediaInfo(await tempFile('fake.png', 'photo', pseudoRandomBytes(5_000, 'not a picture')));
    expect(info).toEqual({ media: 'document', mimeType: 'image/png' });
  });

  it('sends garbage named .mkv as a document', async () => {
    const info = await readMediaInfo(await tempFile('fake.mkv', 'video', pseudoRandomBytes(5_000, 'not a matroska')));
    expect(info).toEqual({ media: 'document', mimeType: 'video/x-matroska' });
  });

  it('keeps a file the pipeline calls a document a document, without reading it, even if it is a picture', async () => {
    const info = await readMediaInfo(await tempFile('scan.png', 'document', pngBytes(64, 48)));
    expect(info).toEqual({ media: 'document', mimeType: 'image/png' });
  });
});

describe('fitsAsPhoto', () => {
  it.each([
    [64, 48, 1_000, true],
    [5_000, 5_000, 1_000, true],
    [5_001, 5_000, 1_000, false],
    [2_000, 100, 1_000, true],
    [2_001, 100, 1_000, false],
    [100, 2_000, 1_000, true],
    [100, 2_001, 1_000, false],
    [1, 20, 10, true],
    [1, 21, 10, false],
    [0, 100, 10, false],
    [100, 0, 10, false],
    [1_000, 1_000, 10 * MiB, true],
    [1_000, 1_000, 10 * MiB + 1, false],
  ])('%i×%i, %i bytes: %s', (width, height, bytes, fits) => {
    expect(fitsAsPhoto(width, height, bytes)).toBe(fits);
  });
});

describe('mimeTypeOf', () => {
  it.each([
    ['IMG_0001.JPG', 'image/jpeg'],
    ['a.jpeg', 'image/jpeg'],
    ['dir.d/b.png', 'image/png'],
    ['clip.m4v', 'video/mp4'],
    ['clip.MOV', 'video/quicktime'],
    ['voice.opus', 'audio/ogg'],
    ['song.flac', 'audio/flac'],
    ['report.pdf', 'application/pdf'],
    ['backup.tar.gz', 'application/octet-stream'],
    ['Makefile', 'application/octet-stream'],
    ['.png', 'application/octet-stream'],
  ])('%s is %s', (name, type) => {
    expect(mimeTypeOf(name)).toBe(type);
  });
});
