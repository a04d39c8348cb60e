import { createCipheriv, createHmac, type Hmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { TruncatedError } from '../errors.js';
import { WrongPasswordError } from './zipCrypto.js';

/*
 * WinZip AES, as "AES Encryption Information: Encryption Specification AE-1 and AE-2" (WinZip,
 * document version 1.04, January 2009) describes it, and APPNOTE 6.3.10 section 7.2 refers to it:
 * - the entry's method is 99, and its 0x9901 extra field gives the vendor version (1 for AE-1, 2
 *   for AE-2), the vendor id "AE", the strength (1, 2, 3: AES-128, -192, -256) and the real method;
 * - the data is a salt (half the key length: 8, 12 or 16 bytes), a 2-byte password verifier, the
 *   encrypted compressed data, and a 10-byte authentication code;
 * - PBKDF2-HMAC-SHA1 of the password and salt, 1000 iterations, gives 2 × key length + 2 bytes:
 *   the AES key, the HMAC-SHA1 key, and the verifier;
 * - AES in CTR mode with Brian Gladman's counter: 16 bytes, little-endian, starting at 1;
 * - the authentication code is the first 10 bytes of HMAC-SHA1 over the encrypted data;
 * - AE-1 keeps the CRC-32 of the plain data; AE-2 writes 0 in its place (the authentication code
 *   is the check, and a CRC of small files would leak something of their content).
 */

/** Whether this machine stores numbers little-endian, as WinZip's counter is written. */
const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** A 32-bit word with its bytes reversed. */
const swap32 = (word: number) => (((word & 0xff) << 24) | ((word & 0xff00) << 8) | ((word >>> 8) & 0xff00) | (word >>> 24)) >>> 0;

/** The extra field id of WinZip AES. */
const aesExtraId = 0x9901;

/** Bytes of the authentication code after the encrypted data. */
export const authenticationCodeSize = 10;

/** Bytes of the password verifier after the salt. */
const verifierSize = 2;

/** What an entry's 0x9901 extra field says. */
export interface WinZipAesField {
  /** 1 for AE-1 (the CRC-32 is kept), 2 for AE-2 (the CRC-32 is 0 and not checked). */
  readonly version: number;
  /** The AES key length in bytes: 16, 24 or 32. */
  readonly keyLength: number;
  /** The compression method of the data inside the encryption. */
  readonly method: number;
}

/**
 * The WinZip AES extra field (0x9901) among a record's extra fields, if there is a well-formed one.
 *
 * A field with a vendor id other than "AE" or a strength other than 1–3 is not one unspool can
 * read: it counts as absent, and the entry then has a `problem`.
 *
 * @param extra The record's extra fields, as they follow its name.
 * @return The field's version, key length and real method, or `undefined`.
 */
export function winZipAesField(extra: Buffer): WinZipAesField | undefined {
  for (let at = 0; at + 4 <= extra.length; at += 4 + extra.readUInt16LE(at + 2)) {
    if (extra.readUInt16LE(at) !== aesExtraId) continue;
    if (extra.readUInt16LE(at + 2) < 7 || at + 11 > extra.length) return undefined;
    const version = extra.readUInt16LE(at + 4);
    const vendor = extra.toString('latin1', at + 6, at + 8);
    const strength = extra[at + 8]!;
    if (vendor !== 'AE' || strength < 1 || strength > 3) return undefined;
    return { version, keyLength: 8 + 8 * strength, method: extra.readUInt16LE(at + 9) };
  }
  return undefined;
}

/** Bytes that come before the encrypted data: the salt and the verifier. */
export const aesHeaderSize = (keyLength: number) => keyLength / 2 + verifierSize;

/** The authentication code did not match the data: it was altered, or the archive is damaged. */
export class AuthenticationError extends Error {
  override readonly name = 'AuthenticationError';
  constructor() {
    super('its authentication code does not match its data: the entry is corrupt or was tampered with');
  }
}

/**
 * AES-CTR with WinZip's little-endian counter, made from AES-ECB over the counter blocks: Node's
 * `aes-*-ctr` increments its counter big-endian, so that from the second block on its keystream
 * is not WinZip's (WinZip's 2 is `02 00 … 00`, Node's step from `01 00 … 00` is `01 00 … 01`).
 * One ECB call per chunk keeps the cipher native; only the XOR is JavaScript.
 */
class WinZipCtr {
  private readonly ecb;
  /** The number of the next counter block; WinZip's first is 1. A double counts exactly to 2^53. */
  private block = 1;
  /** Keystream bytes left over from the last block of the previous chunk. */
  private spare: Buffer = Buffer.alloc(0);

  constructor(key: Buffer) {
    this.ecb = createCipheriv(`aes-${key.length * 8}-ecb`, key, null).setAutoPadding(false);
  }

  /** XORs `chunk` with the next keystream bytes, into a new buffer. */
  apply(chunk: Buffer): Buffer {
    const fromSpare = Math.min(this.spare.length, chunk.length);
    const rest = chunk.length - fromSpare;
    const blocks = Math.ceil(rest / 16);
    // The counter blocks, written as 32-bit words: far faster than writeUInt32LE per block.
    const counters = new Uint32Array(blocks * 4);
    for (let word = 0; word < counters.length; word += 4, this.block++) {
      counters[word] = this.block % 0x1_0000_0000;
      counters[word + 1] = Math.floor(this.block / 0x1_0000_0000);
    }
    if (!littleEndian) for (let at = 0; at < counters.length; at++) counters[at] = swap32(counters[at]!);
    const fresh = this.ecb.update(new Uint8Array(counters.buffer));
    const stream = Buffer.concat([this.spare.subarray(0, fromSpare), fresh]);
    this.spare = fromSpare < this.spare.length ? this.spare.subarray(fromSpare) : fresh.subarray(rest);
    // XORed into the keystream, a copy of its own: whole words where both line up, bytes after.
    const out = stream.subarray(0, chunk.length);
    let at = 0;
    if (out.byteOffset % 4 === 0 && chunk.byteOffset % 4 === 0) {
      const words = chunk.length >>> 2;
      const into = new Uint32Array(out.buffer, out.byteOffset, words);
      const from = new Uint32Array(chunk.buffer, chunk.byteOffset, words);
      for (let word = 0; word < words; word++) into[word]! ^= from[word]!;
      at = words * 4;
    }
    for (; at < chunk.length; at++) out[at]! ^= chunk[at]!;
    return out;
  }
}

/**
 * A stream that decrypts an entry's data written with WinZip AES (AE-1 or AE-2): the salt and the
 * password verifier first (a verifier other than the password's errors with a
 * {@link WrongPasswordError}), then the encrypted data, passed on decrypted chunk by chunk, while
 * the last 10 bytes are held back: they are the authentication code, checked against the HMAC of
 * everything before them when the input ends. A mismatch errors with an
 * {@link AuthenticationError} before the stream ends, so that bytes altered on the way are never
 * taken for the entry's.
 *
 * Input that ends before `size` bytes is a {@link TruncatedError}, not a failed authentication: the
 * archive is cut short, and says nothing of the data's integrity.
 *
 * @param password The password: taken as its UTF-8 bytes, as WinZip and 7-Zip do for AES.
 * @param keyLength The AES key length from the 0x9901 field: 16, 24 or 32 bytes.
 * @param size The entry's compressed size: salt, verifier, encrypted data and authentication code.
 */
export function winZipAesDecryption(password: string, keyLength: number, size: number): Transform {
  const headerSize = aesHeaderSize(keyLength);
  let received = 0;
  let header: Buffer = Buffer.alloc(0);
  let ctr: WinZipCtr | undefined;
  let mac: Hmac | undefined;
  /** The last bytes seen: the authentication code, once the input has ended. */
  let tail: Buffer = Buffer.alloc(0);

  /** Decrypts all but the last 10 bytes of what has come so far. */
  const decrypt = (chunk: Buffer): Buffer | undefined => {
    const pending = tail.length ? Buffer.concat([tail, chunk]) : chunk;
    const cut = Math.max(0, pending.length - authenticationCodeSize);
    tail = Buffer.from(pending.subarray(cut));
    if (cut === 0) return undefined;
    const encrypted = pending.subarray(0, cut);
    mac!.update(encrypted);
    return ctr!.apply(encrypted);
  };

  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      received += chunk.length;
      if (ctr) return callback(null, decrypt(chunk));
      const needed = headerSize - header.length;
      header = Buffer.concat([header, chunk.subarray(0, needed)]);
      if (header.length < headerSize) return callback();
      const salt = header.subarray(0, headerSize - verifierSize);
      const keys = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, 1000, 2 * keyLength + verifierSize, 'sha1');
      if (!keys.subarray(2 * keyLength).equals(header.subarray(headerSize - verifierSize))) return callback(new WrongPasswordError());
      ctr = new WinZipCtr(keys.subarray(0, keyLength));
      mac = createHmac('sha1', keys.subarray(keyLength, 2 * keyLength));
      callback(null, chunk.length > needed ? decrypt(chunk.subarray(needed)) : undefined);
    },
    flush(callback: TransformCallback) {
      if (!mac || received < size || tail.length < authenticationCodeSize) {
        return callback(new TruncatedError('unexpected end of the archive inside the AES encryption header or authentication code'));
      }
      const expected = mac.digest().subarray(0, authenticationCodeSize);
      callback(timingSafeEqual(expected, tail) ? null : new AuthenticationError());
    },
  });
}
