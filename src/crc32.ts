import * as zlib from 'node:zlib';

/** A CRC-32 that goes on from `value`, the CRC-32 of the bytes before `data` (0 to start). */
export type Crc32 = (data: Uint8Array, value?: number) => number;

/**
 * Eight tables of 256 entries for slice-by-8: table `k` holds the CRC of a byte followed by `k`
 * zero bytes, so that eight input bytes are folded in with eight lookups and no loop.
 */
function sliceBy8Tables(): Uint32Array[] {
  const tables = Array.from({ length: 8 }, () => new Uint32Array(256));
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
    tables[0]![byte] = crc;
  }
  for (let byte = 0; byte < 256; byte++) {
    for (let k = 1; k < 8; k++) tables[k]![byte] = (tables[k - 1]![byte]! >>> 8) ^ tables[0]![tables[k - 1]![byte]! & 0xff]!;
  }
  return tables;
}

let tables: Uint32Array[] | undefined;

/**
 * The CRC-32 of zip, gzip and PNG (polynomial 0xEDB88320), in JavaScript, slice-by-8: a few
 * hundred megabytes a second, several times slower than zlib's. For a Node without `zlib.crc32`.
 *
 * @param data The bytes.
 * @param value The CRC-32 of the bytes before them. Default: 0.
 * @return The CRC-32 of all the bytes so far, unsigned.
 */
export const crc32InJavaScript: Crc32 = (data, value = 0) => {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = (tables ??= sliceBy8Tables()) as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array];
  let crc = ~value;
  let at = 0;
  const whole = data.length - (data.length % 8);
  while (at < whole) {
    const low = (crc ^ (data[at]! | (data[at + 1]! << 8) | (data[at + 2]! << 16) | (data[at + 3]! << 24))) >>> 0;
    crc =
      t7[low & 0xff]! ^
      t6[(low >>> 8) & 0xff]! ^
      t5[(low >>> 16) & 0xff]! ^
      t4[low >>> 24]! ^
      t3[data[at + 4]!]! ^
      t2[data[at + 5]!]! ^
      t1[data[at + 6]!]! ^
      t0[data[at + 7]!]!;
    at += 8;
  }
  while (at < data.length) crc = (crc >>> 8) ^ t0[(crc ^ data[at++]!) & 0xff]!;
  return ~crc >>> 0;
};

/**
 * The CRC-32 that zip declares for every entry, as the entries are checked: zlib's (`zlib.crc32`, in
 * C) on Node 20.15, 22.2 and later, else {@link crc32InJavaScript}.
 * No bytes leave `value` as it is (zlib's own answers 0 for a buffer without memory behind it).
 *
 * @param data The bytes.
 * @param value The CRC-32 of the bytes before them. Default: 0.
 * @return The CRC-32 of all the bytes so far, unsigned.
 */
export const crc32: Crc32 =
  typeof zlib.crc32 === 'function' ? (data, value = 0) => (data.length === 0 ? value >>> 0 : zlib.crc32(data, value)) : crc32InJavaScript;
