import { createCipheriv, createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';
import { seededRandom } from './fixtureLayout.js';

/** One archive of the link benchmark: where it is, and what it holds. */
export interface LinkArchive {
  /** `photos` or `videos`. */
  readonly name: string;
  readonly path: string;
  /** Its entries' sizes, in archive order. */
  readonly sizes: readonly number[];
}

const key = createHash('sha256').update('unspool link bench').digest().subarray(0, 16);

/** Incompressible bytes, the same for the same index: AES-128-CTR over zeros. */
function randomBytesOf(index: number, length: number): Buffer {
  const iv = Buffer.alloc(16);
  iv.writeUInt32BE(index, 0);
  return createCipheriv('aes-128-ctr', key, iv).update(Buffer.alloc(length));
}

/**
 * A "photo" that unspool sends as one: a JFIF header and a baseline frame header of 1600 × 1200
 * (so image-size reads its pixels), incompressible bytes, and the end marker.
 */
function photoBytes(index: number, size: number): Buffer {
  const header = Buffer.from([
    0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
    0xff, 0xc0, 0x00, 0x11, 0x08, 1200 >> 8, 1200 & 255, 1600 >> 8, 1600 & 255, 0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01,
  ]);
  const bytes = randomBytesOf(index, size);
  header.copy(bytes);
  bytes.set([0xff, 0xd9], size - 2);
  return bytes;
}

/**
 * A "video" that unspool sends as one: the sample clip (`samples/media/clip-faststart.mp4`, whose
 * index comes first) followed by a `free` box of incompressible bytes up to `size`.
 */
function videoBytes(clip: Buffer, index: number, size: number): Buffer {
  const box = Buffer.alloc(8);
  box.writeUInt32BE(size - clip.length, 0);
  box.write('free', 4, 'latin1');
  return Buffer.concat([clip, box, randomBytesOf(index, size - clip.length - 8)]);
}

/** Writes a stored zip of `entries`, unless a complete one is there already. */
async function storedZip(path: string, names: readonly string[], bytesOf: (index: number) => Buffer): Promise<void> {
  if (await stat(path).catch(() => undefined)) return;
  const zip = new yazl.ZipFile();
  names.forEach((name, index) => zip.addBuffer(bytesOf(index), name, { compress: false }));
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(`${path}.partial`));
  await rm(path, { force: true });
  await rename(`${path}.partial`, path);
}

/**
 * The link benchmark's two archives, built once in the cache folder (stored zips): 150 photos of
 * 200–600 KB (about 60 MB, 15 albums of 10), and 4 videos of 25 MB (one album).
 */
export async function linkArchives(cacheDir: string, progress: (line: string) => void): Promise<LinkArchive[]> {
  await mkdir(cacheDir, { recursive: true });
  const random = seededRandom(14);
  const photoSizes = Array.from({ length: 150 }, () => 200_000 + Math.floor(random() * 400_000));
  const photos = join(cacheDir, 'link-photos.zip');
  progress(`link: ${photos}`);
  await storedZip(photos, photoSizes.map((_, index) => `DCIM/IMG_${String(index + 1).padStart(4, '0')}.jpg`), (index) => photoBytes(index, photoSizes[index]!));
  const videoSizes = [0, 1, 2, 3].map(() => 25_000_000);
  const videos = join(cacheDir, 'link-videos.zip');
  progress(`link: ${videos}`);
  const clip = await readFile(resolve('samples', 'media', 'clip-faststart.mp4'));
  await storedZip(videos, videoSizes.map((_, index) => `DCIM/VID_${String(index + 1).padStart(4, '0')}.mp4`), (index) => videoBytes(clip, 1000 + index, videoSizes[index]!));
  return [
    { name: 'photos', path: photos, sizes: photoSizes },
    { name: 'videos', path: videos, sizes: videoSizes },
  ];
}
