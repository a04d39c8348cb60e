import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { fileSource, type RandomAccessSource } from './randomAccess.js';
import type { TarFormat } from './tarDecompress.js';
import { readHeaderBlock } from './tarHeaderBlock.js';
import { placeCentralDirectory, readZipEnd } from './zipEndRecord.js';

/** The archive formats unspool reads. */
export type ArchiveFormat = 'zip' | TarFormat | '7z' | 'rar';

const zipSignatures = [
  [0x50, 0x4b, 0x03, 0x04], // local file header: any zip with at least one entry
  [0x50, 0x4b, 0x05, 0x06], // end of central directory first: an empty zip
  [0x50, 0x4b, 0x07, 0x08], // spanning marker written by some tools before the first header
];

/** 7z's signature header: `7z¼¯'\x1c` (7-Zip's `7zFormat.txt`). */
const sevenZipSignature = [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c];

/** RAR 4's marker block `Rar!\x1a\x07\x00` and RAR 5's signature `Rar!\x1a\x07\x01\x00` (RarLab's technote). */
const rarSignatures = [
  [0x52, 0x61, 0x72, 0x21, 0x1a, 0x07, 0x00],
  [0x52, 0x61, 0x72, 0x21, 0x1a, 0x07, 0x01, 0x00],
];

/** xz's stream header magic `FD 37 7A 58 5A 00` (the .xz file format, 2.1.1.1). */
const xzSignature = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];

/** A zstd frame's magic number `28 B5 2F FD` (RFC 8878, 3.1.1). */
const zstdSignature = [0x28, 0xb5, 0x2f, 0xfd];

/**
 * bzip2's stream header `BZh1`…`BZh9`, then the magic of a block (`31 41 59 26 53 59`, π) or of
 * the end of an empty stream (`17 72 45 38 50 90`, √π): three letters and a digit alone are too
 * common in text to tell a bzip2 file by.
 */
function isBzip2(head: Uint8Array): boolean {
  const block = [0x31, 0x41, 0x59, 0x26, 0x53, 0x59];
  const end = [0x17, 0x72, 0x45, 0x38, 0x50, 0x90];
  const level = head[3] ?? 0;
  return startsWith(head, [0x42, 0x5a, 0x68]) && level >= 0x31 && level <= 0x39 && [block, end].some((magic) => startsWith(head.subarray(4), magic));
}

/** The compressed tar format whose signature `head` starts with, if any but gzip's. */
function compressedTarOf(head: Uint8Array): 'tar.xz' | 'tar.bz2' | 'tar.zst' | undefined {
  if (startsWith(head, xzSignature)) return 'tar.xz';
  if (startsWith(head, zstdSignature)) return 'tar.zst';
  if (isBzip2(head)) return 'tar.bz2';
  return undefined;
}

/**
 * Whether the xz, bzip2 or zstd stream that `head` starts holds a tar: what its first 512 bytes
 * decode to is a tar header. A head that ends before they can be decoded (bzip2 decodes whole
 * blocks, up to 900 kB; zstd blocks reach 128 KiB) is taken on its signature: the tar reader
 * refuses it later, naming the format, if it holds no tar.
 */
async function holdsTar(head: Uint8Array, format: 'tar.xz' | 'tar.bz2' | 'tar.zst'): Promise<boolean> {
  // Loaded only when such a file is met, as the readers are.
  const [{ decodedHead }, { decoders }] = await Promise.all([import('./decodedStream.js'), import('./tarDecompress.js')]);
  const first = await decodedHead(head, 512, decoders[format]);
  return first === 'cut' || (first !== undefined && isTarHeader(first));
}

function startsWith(head: Uint8Array, bytes: readonly number[]): boolean {
  return head.length >= bytes.length && bytes.every((byte, i) => head[i] === byte);
}

/**
 * Whether a 512-byte block is a tar header: the `ustar` magic of POSIX and GNU tar, or, for old
 * v7 archives without it, a header checksum that adds up (over unsigned bytes, or signed ones as
 * old HP-UX and SunOS tar computed it). A block of zeros is the end marker of an empty tar.
 */
export function isTarHeader(block: Uint8Array): boolean {
  if (block.length < 512) return false;
  if (block.every((byte) => byte === 0)) return true;
  const magic = Buffer.from(block.subarray(257, 262)).toString('latin1');
  if (magic === 'ustar') return true;
  const header = readHeaderBlock(block.subarray(0, 512));
  return header !== undefined && header !== 'end';
}

async function gunzipHead(head: Uint8Array, bytes: number): Promise<Uint8Array> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const gunzip = createGunzip();
    const finish = () => {
      gunzip.removeAllListeners();
      gunzip.on('error', () => {});
      gunzip.destroy();
      resolve(Buffer.concat(chunks).subarray(0, bytes));
    };
    gunzip.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      length += chunk.length;
      if (length >= bytes) finish();
    });
    gunzip.on('error', finish);
    gunzip.on('end', finish);
    gunzip.end(head);
  });
}

/**
 * Whether a file ends as a zip does though it does not start as one: a self-extracting zip (a zip
 * appended to an executable), or a zip with any other bytes before it. Its end of central directory
 * must lead to a central directory, where it says or shifted by the bytes before the zip; or it must
 * say that the file is the last volume of a split zip, so that the reader can say what is missing.
 *
 * @param source The file: local, or any source that reads its end without reading the rest.
 */
export async function endsAsZip(source: RandomAccessSource): Promise<boolean> {
  const end = await readZipEnd(source, await source.size()).catch(() => undefined);
  if (end === undefined) return false;
  if (end.lastDisk !== 0) return end.directoryDisk <= end.lastDisk;
  return (await placeCentralDirectory(source, end, 0)).found;
}

/**
 * Tells the format of an archive from its first bytes, never from its name: zip (including an
 * empty zip), gzip-compressed tar, or plain tar. A gzip file is only a tar.gz if what it inflates
 * to starts with a tar header. A file whose first bytes are none of these is still a zip if its
 * end is a zip's (a self-extracting zip): see {@link endsAsZip}.
 *
 * @param path The archive on disk.
 * @return The format, or `undefined` if the file is none of them.
 */
export async function detectFormat(path: string): Promise<ArchiveFormat | undefined> {
  const handle = await open(path, 'r');
  let format: ArchiveFormat | undefined;
  try {
    const head = Buffer.alloc(64 * 1024);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    format = await formatOf(head.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
  return format ?? ((await endsAsZip(fileSource(path))) ? 'zip' : undefined);
}

/**
 * The format that the first bytes of an archive show (at least 512 bytes for tar; the more of a
 * gzip, xz, bzip2 or zstd stream, the surer the answer).
 */
export async function formatOf(head: Uint8Array): Promise<ArchiveFormat | undefined> {
  if (zipSignatures.some((signature) => startsWith(head, signature))) return 'zip';
  if (startsWith(head, sevenZipSignature)) return '7z';
  if (rarSignatures.some((signature) => startsWith(head, signature))) return 'rar';
  if (startsWith(head, [0x1f, 0x8b])) return isTarHeader(await gunzipHead(head, 512)) ? 'tar.gz' : undefined;
  const compressed = compressedTarOf(head);
  if (compressed) return (await holdsTar(head, compressed)) ? compressed : undefined;
  return isTarHeader(head.subarray(0, 512)) ? 'tar' : undefined;
}
