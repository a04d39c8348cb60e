import { createHash } from 'node:crypto';

/**
 * Deterministic, incompressible bytes: the same `seed` always gives the same bytes, so a failing
 * test can be run again exactly, and deflate cannot shrink them (a deflated entry stays as big as
 * its data).
 */
export function pseudoRandomBytes(length: number, seed: string): Buffer {
  const blocks: Buffer[] = [];
  for (let counter = 0, total = 0; total < length; counter++, total += 32) {
    blocks.push(createHash('sha256').update(`${seed}:${counter}`).digest());
  }
  return Buffer.concat(blocks).subarray(0, length);
}

/** Starts `length` bytes with a file-type signature and fills the rest pseudo-randomly. */
function withSignature(signature: Buffer, length: number, seed: string): Buffer {
  return Buffer.concat([signature, pseudoRandomBytes(Math.max(0, length - signature.length), seed)]);
}

/** A "photo": JPEG magic bytes, so that unspool's sniffing keeps it a photo. */
export const jpegBytes = (length: number, seed: string): Buffer =>
  withSignature(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00]), length, seed);

/** A "video": an ISO base media file with an `ftyp` box. */
export const mp4Bytes = (length: number, seed: string): Buffer =>
  withSignature(Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypisom', 'latin1')]), length, seed);

/** An "audio" file: an MP3 with an ID3 tag. */
export const mp3Bytes = (length: number, seed: string): Buffer => withSignature(Buffer.from('ID3\u0004\u0000', 'latin1'), length, seed);

/** A "document": printable text, which deflate compresses well. */
export function textBytes(length: number, seed: string): Buffer {
  const line = `${seed}: the quick brown fox jumps over the lazy dog\n`;
  return Buffer.from(line.repeat(Math.ceil(length / line.length)).slice(0, length), 'latin1');
}

/** The SHA-256 of some bytes, in hex: how delivered files are compared with what was archived. */
export function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}
