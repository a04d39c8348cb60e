import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { fileSource } from './randomAccess.js';
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
 */
async function endsAsZip(path: string): Promise<boolean> {
  const source = fileSource(path);
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
  return format ?? ((await endsAsZip(path)) ? 'zip' : undefined);
}

/**
 * The format that the first bytes of an archive show (at least 512 bytes for tar; the more of a
 * gzip stream, the surer the answer).
 */
export async function formatOf(head: Uint8Array): Promise<ArchiveFormat | undefined> {
  if (zipSignatures.some((signature) => startsWith(head, signature))) return 'zip';
  if (startsWith(head, sevenZipSignature)) return '7z';
  if (rarSignatures.some((signature) => startsWith(head, signature))) return 'rar';
  if (startsWith(head, [0x1f, 0x8b])) return isTarHeader(await gunzipHead(head, 512)) ? 'tar.gz' : undefined;
  return isTarHeader(head.subarray(0, 512)) ? 'tar' : undefined;
}
