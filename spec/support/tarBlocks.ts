/**
 * Tar archives written byte by byte, for shapes that tar-stream's `pack()` cannot write (v7 and
 * star headers, signed checksums, GNU sparse files, raw non-UTF-8 names): each header is a
 * 512-byte block laid out as POSIX, GNU tar and star lay it out, with its checksum computed here.
 */

/** Which tar dialect a header block is written in; they differ in magic and in what follows it. */
export type TarDialect = 'ustar' | 'gnu' | 'v7' | 'star' | 'xstar';

/** The fields of one header block, for {@link headerBlock}. What is not given is zeros. */
export interface HeaderFields {
  /** The name field (at most 100 bytes); a string is written as UTF-8, bytes as they are. */
  readonly name: string | Uint8Array;
  /** The type flag. Default: `0` (`\0` for v7). */
  readonly typeflag?: string;
  /** The size field. Default: 0. */
  readonly size?: number;
  readonly linkname?: string | Uint8Array;
  /** Default: `ustar`. */
  readonly dialect?: TarDialect;
  /** The ustar prefix (at most 155 bytes, 130 for star). */
  readonly prefix?: string;
  /** Computed over unsigned bytes (POSIX) or signed ones (old HP-UX and SunOS tar). Default: unsigned. */
  readonly checksum?: 'unsigned' | 'signed';
  /** Further fields as `[offset, bytes]`, written before the checksum (old GNU sparse slots, …). */
  readonly fields?: ReadonlyArray<readonly [number, Uint8Array | string]>;
}

const bytesOf = (value: string | Uint8Array) => (typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value));

/** An octal field of `width` bytes: digits, then a NUL. */
export const octal = (value: number, width: number): string => `${value.toString(8).padStart(width - 1, '0')}\0`;

/** One 512-byte header block. */
export function headerBlock(fields: HeaderFields): Buffer {
  const dialect = fields.dialect ?? 'ustar';
  const block = Buffer.alloc(512);
  const put = (offset: number, value: string | Uint8Array, room: number) => {
    const bytes = bytesOf(value);
    if (bytes.length > room) throw new Error(`${bytes.length} bytes do not fit a ${room}-byte field at ${offset}`);
    bytes.copy(block, offset);
  };
  put(0, fields.name, 100);
  put(100, '0000644\0', 8);
  put(108, '0001750\0', 8);
  put(116, '0000144\0', 8);
  // v7 tar wrote numbers padded with spaces, as CPython's v7 sample does.
  put(124, dialect === 'v7' ? `${(fields.size ?? 0).toString(8).padStart(11, ' ')} ` : octal(fields.size ?? 0, 12), 12);
  put(136, octal(0o14707657000, 12), 12);
  put(156, fields.typeflag ?? (dialect === 'v7' ? '\0' : '0'), 1);
  if (fields.linkname !== undefined) put(157, fields.linkname, 100);
  if (dialect === 'gnu') put(257, 'ustar  \0', 8);
  else if (dialect !== 'v7') put(257, 'ustar\u000000', 8);
  if (dialect !== 'v7') {
    put(265, 'tarfile', 32);
    put(297, 'tarfile', 32);
  }
  if (fields.prefix !== undefined) put(345, fields.prefix, dialect === 'star' || dialect === 'xstar' ? 130 : 155);
  if (dialect === 'star' || dialect === 'xstar') {
    // star keeps the access and change times after a shorter prefix; xstar also marks its end.
    put(476, '07606136617 07606136617 ', 24);
    if (dialect === 'xstar') put(508, 'tar\0', 4);
  }
  for (const [offset, value] of fields.fields ?? []) bytesOf(value).copy(block, offset);
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += fields.checksum === 'signed' && byte >= 0x80 ? byte - 256 : byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return block;
}

/** Data padded with zeros to a whole number of 512-byte blocks. */
export function dataBlocks(data: Uint8Array): Buffer {
  return Buffer.concat([data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
}

/** A header with the data's size, then the data in blocks. */
export function tarEntry(fields: HeaderFields, data: Uint8Array = Buffer.alloc(0)): Buffer {
  return Buffer.concat([headerBlock({ ...fields, size: data.length }), dataBlocks(data)]);
}

/** The data of a pax extended header: `<length> <keyword>=<value>\n` records, values as given. */
export function paxData(records: ReadonlyArray<readonly [string, string | Uint8Array]>): Buffer {
  return Buffer.concat(
    records.map(([keyword, value]) => {
      const body = Buffer.concat([Buffer.from(` ${keyword}=`, 'utf8'), bytesOf(value), Buffer.from('\n')]);
      // The length counts its own digits.
      let length = body.length + 1;
      while (String(length).length + body.length !== length) length = String(length).length + body.length;
      return Buffer.concat([Buffer.from(String(length)), body]);
    }),
  );
}

/** A pax extended header (`x`, or `g` for a global one, or Solaris' `X`) with its records. */
export function paxHeader(records: ReadonlyArray<readonly [string, string | Uint8Array]>, typeflag = 'x'): Buffer {
  return tarEntry({ name: 'PaxHeaders.0/entry', typeflag }, paxData(records));
}

/** A GNU long name (`L`) or long link name (`K`) header: the name and a NUL, in data blocks. */
export function gnuLongHeader(typeflag: 'L' | 'K', name: string | Uint8Array): Buffer {
  return tarEntry({ name: '././@LongLink', typeflag, dialect: 'gnu' }, Buffer.concat([bytesOf(name), Buffer.from([0])]));
}

/** The end-of-archive marker: two blocks of zeros. */
export const endOfArchive = Buffer.alloc(1024);
