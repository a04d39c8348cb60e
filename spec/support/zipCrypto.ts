import { crc32 } from 'node:zlib';
import { pseudoRandomBytes } from './sampleBytes.js';

/**
 * Traditional PKWARE encryption ("ZipCrypto", APPNOTE 6.1) for writing test archives: the
 * encrypting side, written apart from unspool's decrypter (`src/sources/zipCrypto.ts`) so that a
 * mistake in one is not mirrored in the other. The CRC table comes from `node:zlib`, not from a
 * loop of our own; this writer was checked once against Info-ZIP's `unzip -P`.
 */

/**
 * The CRC-32 register's table, taken from zlib: one step from 0 without zlib's inversions,
 * `~crc32(n, ~0)`, is the table's entry for `n`.
 */
const table = Array.from({ length: 256 }, (_, n) => ~crc32(Uint8Array.of(n), 0xffffffff) >>> 0);

/** One step of the CRC-32 register. */
const crcStep = (key: number, byte: number): number => (table[(key ^ byte) & 0xff]! ^ (key >>> 8)) >>> 0;

/** The cipher's state: three keys, stepped with every plain byte. */
class Keys {
  private keys = [0x12345678, 0x23456789, 0x34567890];

  constructor(password: string) {
    for (const byte of Buffer.from(password, 'utf8')) this.update(byte);
  }

  private update(plain: number): void {
    const [key0, key1, key2] = this.keys as [number, number, number];
    const next0 = crcStep(key0, plain);
    const next1 = (Math.imul(key1 + (next0 & 0xff), 134775813) + 1) >>> 0;
    this.keys = [next0, next1, crcStep(key2, next1 >>> 24)];
  }

  private streamByte(): number {
    const temp = (this.keys[2]! | 2) & 0xffff;
    return Math.floor((temp * (temp ^ 1)) / 256) % 256;
  }

  encrypt(plain: Uint8Array): Buffer {
    return Buffer.from(plain.map((byte) => {
      const cipher = byte ^ this.streamByte();
      this.update(byte);
      return cipher;
    }));
  }

  decrypt(cipher: Uint8Array): Buffer {
    return Buffer.from(cipher.map((byte) => {
      const plain = byte ^ this.streamByte();
      this.update(plain);
      return plain;
    }));
  }
}

/**
 * Encrypts an entry's compressed bytes as a zip writer does: a 12-byte header (11 bytes that only
 * need to be unpredictable, here seeded by the password for repeatable archives, then `check`),
 * then the data.
 *
 * @param data The compressed (or stored) bytes.
 * @param password The password, as UTF-8.
 * @param check The header's last byte: the high byte of the CRC-32, or of the DOS time when a data
 * descriptor follows (flag bit 3).
 */
export function zipCryptoEncrypt(data: Uint8Array, password: string, check: number): Buffer {
  const header = Buffer.concat([pseudoRandomBytes(11, `header:${password}`), Buffer.of(check & 0xff)]);
  return new Keys(password).encrypt(Buffer.concat([header, data]));
}

/**
 * Decrypts an entry's data, header first, as {@link zipCryptoEncrypt} wrote it, and returns what
 * follows the header (the compressed or stored bytes). The header's check byte is not checked.
 */
export function zipCryptoDecrypt(encrypted: Uint8Array, password: string): Buffer {
  return new Keys(password).decrypt(encrypted).subarray(12);
}

/**
 * A password other than the right one that still passes the one-byte header check of `encrypted`
 * (about 1 in 256 do): such a password is only found out by the CRC-32 of what it decrypts.
 *
 * @param encrypted The encrypted data, header first.
 * @param check The expected last header byte.
 * @param right The right password, which is never returned.
 */
export function wrongPasswordPassingCheck(encrypted: Uint8Array, check: number, right: string): string {
  for (let attempt = 0; ; attempt++) {
    const candidate = `not-it-${attempt}`;
    if (candidate !== right && new Keys(candidate).decrypt(encrypted.subarray(0, 12))[11] === (check & 0xff)) return candidate;
  }
}
