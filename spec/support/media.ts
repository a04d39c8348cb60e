import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';

/**
 * Real media for the Telegram specs: PNG images of any size, made here (image-size reads their
 * header as it would a camera's), and short clips from `samples/media/`, made once with ffmpeg:
 * an mp4 with its index first (streams), one with its index last, a webm, and a tagged mp3.
 */

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A valid PNG of `width × height` grey pixels, with a pixel value seeded so images differ. */
export function pngBytes(width: number, height: number, seed = 0): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.writeUInt8(8, 8); // bit depth
  header.writeUInt8(0, 9); // greyscale
  const row = Buffer.alloc(1 + width, seed % 256);
  row[0] = 0; // no filter
  const pixels = deflateSync(Buffer.concat(Array.from({ length: height }, () => row)));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', pixels), chunk('IEND', Buffer.alloc(0))]);
}

/** The bytes of a file in `samples/media/`. */
export const sampleMedia = (name: 'clip-faststart.mp4' | 'clip-tail-index.mp4' | 'clip.webm' | 'tone.mp3'): Buffer =>
  readFileSync(resolve('samples', 'media', name));
