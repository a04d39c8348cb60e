import { dataBlocks, endOfArchive, gnuLongHeader, headerBlock, octal, paxHeader, tarEntry } from './tarBlocks.js';
import { pseudoRandomBytes } from './sampleBytes.js';

/**
 * Every header shape of CPython's tarfile test archive (`Lib/test/archivetestdata/testtar.tar`),
 * generated here rather than copied, each with what a reader must make of it: the entries, their
 * names as Python's `tarfile` reads them, their kinds, real sizes and bytes. Names that are not
 * UTF-8 are Latin-1, as in CPython's archive.
 */

/** An entry as unspool's tar reader must emit it. */
export interface ExpectedEntry {
  readonly name: string;
  readonly kind: 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';
  readonly size: number;
  /** The bytes, for files. */
  readonly data?: Buffer;
}

/** One shape: its archive bytes (without the end marker) and the entries they hold. */
export interface TarShape {
  /** What the shape is, for test names. */
  readonly title: string;
  readonly bytes: Buffer;
  readonly entries: readonly ExpectedEntry[];
  /** Whether tar-stream reads the shape right on its own, without unspool's header pre-pass. */
  readonly readByTarStream?: boolean;
}

/** A sparse file: its real size and the stretches that hold data; the rest are holes. */
export interface SparseFile {
  readonly realSize: number;
  readonly regions: ReadonlyArray<{ readonly offset: number; readonly data: Buffer }>;
}

/** A sparse file's real content: zeros, with each region's data at its offset. */
export function sparseContent(file: SparseFile): Buffer {
  const content = Buffer.alloc(file.realSize);
  for (const region of file.regions) region.data.copy(content, region.offset);
  return content;
}

const stored = (file: SparseFile) => Buffer.concat(file.regions.map((region) => region.data));

/** A sparse file with `count` regions of 4 KiB, 12 KiB apart, ending in a hole (as GNU tar maps one). */
export function sparseFile(count: number, seed: string): SparseFile {
  const regions = Array.from({ length: count }, (_, i) => ({ offset: 4096 + i * 12_288, data: pseudoRandomBytes(4096, `${seed}-${i}`) }));
  return { realSize: 4096 + count * 12_288 + 5_000, regions };
}

const latin1 = (text: string) => Buffer.from(text, 'latin1');

/** 24-byte old GNU sparse slots (offset, size) for the regions, then GNU tar's closing empty one. */
function slots(regions: ReadonlyArray<{ offset: number; size: number }>): Buffer {
  return Buffer.concat(regions.map(({ offset, size }) => Buffer.from(octal(offset, 12) + octal(size, 12), 'latin1')));
}

/**
 * An old GNU sparse file (type `S`): up to 4 regions in the header, 21 in each extension block
 * after it, then the stored regions' data. GNU tar ends the map with an empty region at the real
 * size when the file ends in a hole.
 */
export function oldGnuSparse(name: string, file: SparseFile): Buffer {
  const map = [...file.regions.map((region) => ({ offset: region.offset, size: region.data.length })), { offset: file.realSize, size: 0 }];
  const data = stored(file);
  const inHeader = map.slice(0, 4);
  const extensions: Buffer[] = [];
  for (let at = 4; at < map.length; at += 21) {
    const block = Buffer.alloc(512);
    slots(map.slice(at, at + 21)).copy(block, 0);
    if (at + 21 < map.length) block[504] = 1;
    extensions.push(block);
  }
  const header = headerBlock({
    name,
    typeflag: 'S',
    dialect: 'gnu',
    size: data.length,
    fields: [
      [386, slots(inHeader)],
      [482, extensions.length > 0 ? '\u0001' : '\0'],
      [483, octal(file.realSize, 12)],
    ],
  });
  return Buffer.concat([header, ...extensions, dataBlocks(data)]);
}

/** A pax sparse file in GNU format 0.0: `GNU.sparse.offset` and `numbytes` repeated per region. */
export function paxSparse00(name: string, file: SparseFile): Buffer {
  const records: Array<[string, string]> = [
    ['GNU.sparse.size', String(file.realSize)],
    ['GNU.sparse.numblocks', String(file.regions.length)],
  ];
  for (const region of file.regions) records.push(['GNU.sparse.offset', String(region.offset)], ['GNU.sparse.numbytes', String(region.data.length)]);
  return Buffer.concat([paxHeader(records), tarEntry({ name }, stored(file))]);
}

/** A pax sparse file in GNU format 0.1: one `GNU.sparse.map`, the real name in `GNU.sparse.name`. */
export function paxSparse01(name: string, file: SparseFile): Buffer {
  const map = file.regions.flatMap((region) => [region.offset, region.data.length]).join(',');
  const records: Array<[string, string]> = [
    ['GNU.sparse.size', String(file.realSize)],
    ['GNU.sparse.numblocks', String(file.regions.length)],
    ['GNU.sparse.name', name],
    ['GNU.sparse.map', map],
  ];
  return Buffer.concat([paxHeader(records), tarEntry({ name: `GNUSparseFile.0/${name.split('/').at(-1)}` }, stored(file))]);
}

/** A pax sparse file in GNU format 1.0: the map starts the data, in its own 512-byte blocks. */
export function paxSparse10(name: string, file: SparseFile): Buffer {
  const records: Array<[string, string]> = [
    ['GNU.sparse.major', '1'],
    ['GNU.sparse.minor', '0'],
    ['GNU.sparse.name', name],
    ['GNU.sparse.realsize', String(file.realSize)],
  ];
  const map = [file.regions.length, ...file.regions.flatMap((region) => [region.offset, region.data.length])].join('\n') + '\n';
  const data = Buffer.concat([dataBlocks(Buffer.from(map)), stored(file)]);
  return Buffer.concat([paxHeader(records), tarEntry({ name: `GNUSparseFile.0/${name.split('/').at(-1)}` }, data)]);
}

const text = pseudoRandomBytes(7011, 'regtype');
const file = (name: string, data: Buffer = text): ExpectedEntry => ({ name, kind: 'file', size: data.length, data });
const longName = `${'123/'.repeat(70)}longname`;
const sparse = sparseFile(3, 'sparse');
const extended = sparseFile(11, 'extended');

/** The shapes of CPython's test archive, one by one. */
export const tarShapes: readonly TarShape[] = [
  {
    title: 'a directory whose header declares 255 bytes and has none',
    bytes: headerBlock({ name: 'ustar/dirtype-with-size/', typeflag: '5', size: 255 }),
    entries: [{ name: 'ustar/dirtype-with-size/', kind: 'directory', size: 255 }],
  },
  {
    title: 'a directory whose header declares 255 bytes and has them',
    bytes: Buffer.concat([headerBlock({ name: 'ustar/dirtype-with-payload/', typeflag: '5', size: 255 }), dataBlocks(latin1('x'.repeat(255)))]),
    entries: [{ name: 'ustar/dirtype-with-payload/', kind: 'directory', size: 255 }],
  },
  {
    title: 'character and block devices and a FIFO',
    readByTarStream: true,
    bytes: Buffer.concat(['3', '4', '6'].map((typeflag) => headerBlock({ name: `ustar/special-${typeflag}`, typeflag }))),
    entries: ['3', '4', '6'].map((typeflag) => ({ name: `ustar/special-${typeflag}`, kind: 'other', size: 0 })),
  },
  {
    title: 'an old GNU sparse file (type S) with its map in the header',
    bytes: oldGnuSparse('gnu/sparse', sparse),
    entries: [file('gnu/sparse', sparseContent(sparse))],
  },
  {
    title: 'an old GNU sparse file with extension headers (11 regions)',
    bytes: oldGnuSparse('gnu/sparse-extended', extended),
    entries: [file('gnu/sparse-extended', sparseContent(extended))],
  },
  {
    title: 'a pax sparse file, GNU format 0.0',
    bytes: paxSparse00('gnu/sparse-0.0', extended),
    entries: [file('gnu/sparse-0.0', sparseContent(extended))],
  },
  {
    title: 'a pax sparse file, GNU format 0.1',
    bytes: paxSparse01('gnu/sparse-0.1', extended),
    entries: [file('gnu/sparse-0.1', sparseContent(extended))],
  },
  {
    title: 'a pax sparse file, GNU format 1.0',
    bytes: paxSparse10('gnu/sparse-1.0', extended),
    entries: [file('gnu/sparse-1.0', sparseContent(extended))],
  },
  {
    title: 'a v7 file and a v7 directory (no magic, type NUL, trailing slash)',
    bytes: Buffer.concat([tarEntry({ name: 'misc/regtype-old-v7', dialect: 'v7' }, text), headerBlock({ name: 'misc/dirtype-old-v7/', dialect: 'v7' })]),
    entries: [file('misc/regtype-old-v7'), { name: 'misc/dirtype-old-v7/', kind: 'directory', size: 0 }],
  },
  {
    title: 'star and xstar files with a name prefix',
    readByTarStream: true,
    bytes: Buffer.concat([
      tarEntry({ name: 'regtype-star', prefix: 'misc/star', dialect: 'star' }, text),
      tarEntry({ name: 'regtype-xstar', prefix: 'misc/xstar', dialect: 'xstar' }, text),
    ]),
    entries: [file('misc/star/regtype-star'), file('misc/xstar/regtype-xstar')],
  },
  {
    title: 'HP-UX and v7 headers with signed checksums',
    bytes: Buffer.concat([
      tarEntry({ name: latin1('misc/regtype-hpux-signed-chksum-ÄÖÜäöüß'), checksum: 'signed' }, text),
      tarEntry({ name: latin1('misc/regtype-old-v7-signed-chksum-ÄÖÜäöüß'), dialect: 'v7', checksum: 'signed' }, text),
    ]),
    entries: [file('misc/regtype-hpux-signed-chksum-ÄÖÜäöüß'), file('misc/regtype-old-v7-signed-chksum-ÄÖÜäöüß')],
  },
  {
    title: 'a GNU long name and a GNU long link',
    readByTarStream: true,
    bytes: Buffer.concat([
      gnuLongHeader('L', `gnu/${longName}`),
      tarEntry({ name: `gnu/${longName}`.slice(0, 100), dialect: 'gnu' }, text),
      gnuLongHeader('K', `gnu/${longName}`),
      gnuLongHeader('L', `gnu/${longName}-link`),
      headerBlock({ name: `gnu/${longName}`.slice(0, 100), typeflag: '1', linkname: `gnu/${longName}`.slice(0, 100), dialect: 'gnu' }),
    ]),
    entries: [file(`gnu/${longName}`), { name: `gnu/${longName}-link`, kind: 'hardlink', size: 0 }],
  },
  {
    title: 'a pax long name and a pax long link',
    readByTarStream: true,
    bytes: Buffer.concat([
      paxHeader([['path', `pax/${longName}`]]),
      tarEntry({ name: 'pax/longname' }, text),
      paxHeader([
        ['path', `pax/${longName}-link`],
        ['linkpath', `pax/${longName}`],
      ]),
      headerBlock({ name: 'pax/longlink', typeflag: '1', linkname: 'pax/longname' }),
    ]),
    entries: [file(`pax/${longName}`), { name: `pax/${longName}-link`, kind: 'hardlink', size: 0 }],
  },
  {
    title: 'a pax name in UTF-8, and a pax size over the header size',
    readByTarStream: true,
    bytes: Buffer.concat([
      paxHeader([['path', 'pax/umlauts-ÄÖÜäöüß']]),
      tarEntry({ name: latin1('pax/umlauts-ÄÖÜäöüß') }, text),
      paxHeader([['size', String(text.length)]]),
      headerBlock({ name: 'pax/regtype4', size: 0 }),
      dataBlocks(text),
    ]),
    entries: [file('pax/umlauts-ÄÖÜäöüß'), file('pax/regtype4')],
  },
  {
    title: 'a pax name in raw bytes marked hdrcharset=BINARY',
    bytes: Buffer.concat([
      paxHeader([
        ['hdrcharset', 'BINARY'],
        ['path', latin1('pax/hdrcharset-äöü')],
      ]),
      tarEntry({ name: latin1('pax/hdrcharset-äöü') }, text),
    ]),
    entries: [file('pax/hdrcharset-äöü')],
  },
  {
    title: 'a bad pax header: a name in raw Latin-1 bytes without hdrcharset (GNU tar up to 1.23)',
    bytes: Buffer.concat([paxHeader([['path', latin1('pax/bad-pax-äöü')]]), tarEntry({ name: latin1('pax/bad-pax-äöü') }, text)]),
    entries: [file('pax/bad-pax-äöü')],
  },
  {
    title: 'a ustar name that is not UTF-8',
    bytes: tarEntry({ name: latin1('ustar/umlauts-ÄÖÜäöüß') }, text),
    entries: [file('ustar/umlauts-ÄÖÜäöüß')],
  },
  {
    title: 'a Solaris pax header (type X) and global pax records',
    bytes: Buffer.concat([
      paxHeader([['mtime', '1041808783.000000000']], 'X'),
      tarEntry({ name: 'misc/regtype-suntar' }, text),
      paxHeader([['VENDOR.umlauts', 'ÄÖÜäöüß']], 'g'),
      tarEntry({ name: 'pax/regtype1' }, text),
    ]),
    entries: [file('misc/regtype-suntar'), file('pax/regtype1')],
  },
];

/** An ordinary file that follows every shape: it must still be read, and read right. */
export const after: ExpectedEntry = file('after.txt', pseudoRandomBytes(3000, 'after'));

/** An archive of some shapes with {@link after} after each, and the end marker. */
export function shapesArchive(shapes: readonly TarShape[]): { bytes: Buffer; entries: ExpectedEntry[] } {
  const afterBytes = tarEntry({ name: after.name }, after.data);
  return {
    bytes: Buffer.concat([...shapes.flatMap((shape) => [shape.bytes, afterBytes]), endOfArchive]),
    entries: shapes.flatMap((shape) => [...shape.entries, after]),
  };
}
