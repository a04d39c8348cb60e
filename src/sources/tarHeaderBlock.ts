/** Where the fields of a tar header block are, as far as unspool reads them. */
const field = {
  name: [0, 100],
  size: [124, 12],
  checksum: [148, 8],
  typeflag: 156,
  magic: [257, 8],
  prefix: [345, 155],
} as const;

/** The POSIX ustar magic and version: only such headers carry a name prefix. */
const ustarMagic = Buffer.from('ustar\u000000', 'latin1');

/** What a tar header block says, as far as the reader needs it to find the next block. */
export interface TarHeaderBlock {
  /** The type flag as one character: `0`, `5`, `x`, `L`, `S`, … (`\0` for an old v7 file). */
  readonly typeflag: string;
  /** The name as stored: the ustar prefix, a `/` and the name field, each up to its first NUL. */
  readonly name: Uint8Array;
  /** The size field; not a number when the field is not one. */
  readonly size: number;
  /** Which way the checksum adds up: over unsigned bytes (POSIX), or signed ones (old HP-UX, SunOS). */
  readonly checksum: 'unsigned' | 'signed';
}

/** The bytes of `block` from `start` up to its first NUL within `length`. */
export function untilNul(block: Uint8Array, start: number, length: number): Uint8Array {
  const end = block.subarray(start, start + length).indexOf(0);
  return block.subarray(start, end === -1 ? start + length : start + end);
}

/**
 * A numeric header field: octal digits, after any spaces or NULs and up to a space (how every tar
 * writes small values), or, when the first byte has its high bit set, a big-endian base-256
 * number (GNU tar's form for sizes over 8 GiB; any negative one is -1). An empty field is 0.
 * Read exactly as tar-stream reads it, digits up to the first that is not octal, so that the two
 * always agree on where an entry ends.
 */
export function tarNumber(block: Uint8Array, start: number, length: number): number {
  const bytes = block.subarray(start, start + length);
  if (bytes[0] !== undefined && bytes[0] & 0x80) {
    // Negative values only ever date files before 1970; as a size or an offset they are invalid.
    if (bytes[0] !== 0x80) return bytes[0] === 0xff ? -1 : Number.NaN;
    let value = 0;
    for (const byte of bytes.subarray(1)) value = value * 256 + byte;
    return value;
  }
  let from = 0;
  while (bytes[from] === 0x20) from++;
  const space = bytes.indexOf(0x20, from);
  const end = space === -1 ? bytes.length : space;
  while (from < end && bytes[from] === 0) from++;
  return from === end ? 0 : parseInt(Buffer.from(bytes.subarray(from, end)).toString('latin1'), 8);
}

/** The two sums a header's checksum may hold: over its bytes unsigned and signed, the field as spaces. */
function sums(block: Uint8Array): { unsigned: number; signed: number } {
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < 512; i++) {
    const byte = i >= field.checksum[0] && i < field.checksum[0] + field.checksum[1] ? 0x20 : block[i]!;
    unsigned += byte;
    signed += byte < 0x80 ? byte : byte - 256;
  }
  return { unsigned, signed };
}

/**
 * Reads a 512-byte block where a tar header is expected.
 *
 * A block whose bytes are all zero apart from the checksum field is the end-of-archive marker (or
 * padding after it), as tar-stream reads it. A checksum computed over signed bytes, as old HP-UX
 * and SunOS tar did, is accepted as Python's `tarfile` and GNU tar accept it.
 *
 * @return The header; `'end'` for a block of zeros; `undefined` if the checksum adds up neither
 * way (the block is not a header).
 */
export function readHeaderBlock(block: Uint8Array): TarHeaderBlock | 'end' | undefined {
  const { unsigned, signed } = sums(block);
  if (unsigned === 8 * 0x20) return 'end';
  const stored = tarNumber(block, field.checksum[0], field.checksum[1]);
  const checksum = stored === unsigned ? 'unsigned' : stored === signed ? 'signed' : undefined;
  if (!checksum) return undefined;
  let name = untilNul(block, field.name[0], field.name[1]);
  const magic = block.subarray(field.magic[0], field.magic[0] + 6);
  if (ustarMagic.subarray(0, 6).equals(magic) && block[field.prefix[0]] !== 0) {
    name = Buffer.concat([untilNul(block, field.prefix[0], field.prefix[1]), Buffer.from('/'), name]);
  }
  return {
    typeflag: String.fromCharCode(block[field.typeflag]!),
    name,
    size: tarNumber(block, field.size[0], field.size[1]),
    checksum,
  };
}

/**
 * A copy of a header block with another type flag and an unsigned checksum: how a header that
 * tar-stream would refuse (a signed checksum, Solaris' `X` for a pax header) is handed to it.
 *
 * @param block The header as read.
 * @param typeflag The type flag to write.
 */
export function rewriteHeaderBlock(block: Uint8Array, typeflag: string): Buffer {
  const copy = Buffer.from(block);
  copy[field.typeflag] = typeflag.charCodeAt(0);
  copy.write(`${sums(copy).unsigned.toString(8).padStart(6, '0')}\0 `, field.checksum[0], 'latin1');
  return copy;
}
