import { Transform, type TransformCallback } from 'node:stream';
import type { EntryKind } from '../entry.js';
import { readHeaderBlock, rewriteHeaderBlock, type TarHeaderBlock, tarNumber, untilNul } from './tarHeaderBlock.js';
import { decodeTarName } from './tarName.js';
import { type PaxRecord, paxBytes, parsePaxRecords, paxText } from './tarPax.js';
import { oldGnuRegions, oldGnuSparse, paxSparseLayout, type SparseLayout, type SparseRegion } from './tarSparseMap.js';

/** What unspool takes from an entry's headers, rather than from tar-stream's reading of them. */
export interface TarEntryHeader {
  /** The name, from the last word on it: `GNU.sparse.name`, pax `path`, GNU long name, header. */
  readonly name: string;
  readonly kind: EntryKind;
  /** The real size: for a sparse file, with its holes. */
  readonly size: number;
  /** Set for a GNU sparse file: how its stored data expands (see `expandSparse`). */
  readonly sparse?: SparseLayout;
  /** Why the entry cannot be read, though the archive goes on. */
  readonly problem?: string;
}

/** tar-stream's limit on the data of a pax or long-name header (it stops the archive above it). */
const maxHeaderData = 4 * 1024 * 1024;

/**
 * Headers that describe the next entry rather than being one: pax (`x`, global `g`), GNU long name
 * and link (`L`, `K`), and `N`, which tar-stream also takes for a long name.
 */
const metaTypes = new Set(['x', 'g', 'L', 'K', 'N']);

const padding = (size: number) => (512 - (size % 512)) % 512;

/**
 * The type flag as tar-stream should see it: Solaris' `X` is a pax `x` header, and an old v7 file
 * (type NUL) whose name ends in `/` is a directory, as Python reads them. (tar-stream means to
 * read the second itself, but decides the type before it looks at the name.)
 */
function normalTypeflag(header: TarHeaderBlock): string {
  if (header.typeflag === 'X') return 'x';
  if (header.typeflag === '\0' && header.name.at(-1) === 0x2f) return '5';
  return header.typeflag;
}

function kindOf(typeflag: string): EntryKind {
  switch (typeflag) {
    case '0':
    case '\0':
    case '7':
    case 'S':
      return 'file';
    case '5':
      return 'directory';
    case '2':
      return 'symlink';
    case '1':
      return 'hardlink';
    default:
      return 'other';
  }
}

type State =
  | { readonly at: 'header' }
  /** The data of a pax or long-name header: passed on, and kept to be read. */
  | { readonly at: 'meta'; readonly typeflag: string; left: number; readonly chunks: Uint8Array[]; readonly size: number }
  /** An entry's data and padding: passed on untouched. */
  | { readonly at: 'data'; left: number }
  /** Old GNU sparse extension blocks: read for the map, and not passed on. */
  | {
      readonly at: 'extension';
      readonly block: Uint8Array;
      readonly entry: TarEntryHeader;
      readonly regions: SparseRegion[];
      readonly stored: number;
      problem?: string;
    }
  /** The block after a directory whose header declares a size: the next header, or the payload? */
  | { readonly at: 'directory'; readonly size: number }
  /** A directory's payload: not passed on. */
  | { readonly at: 'drop'; left: number }
  /** A block that is no header: tar-stream will say so; nothing more is read here. */
  | { readonly at: 'through' };

/**
 * The header pre-pass of the tar reader: a stream the tar bytes go through on their way to
 * tar-stream, which reads every header itself and hands tar-stream only what tar-stream reads
 * right, so that Python's `tarfile` and unspool read the same archives:
 * - a checksum over signed bytes (old HP-UX and SunOS tar) is rewritten as the unsigned one, and a
 *   Solaris `X` header as a pax `x` header;
 * - old GNU sparse extension blocks (after a type `S` header, for maps of over 4 regions) are
 *   read for the map and left out, so the stored data follows the header as tar-stream expects;
 * - a directory's declared size frames no data (as in Python, GNU tar and tar-stream), unless the
 *   block after the header is not a header: then that many bytes of payload are left out.
 *
 * For every entry it keeps a {@link TarEntryHeader} under the offset at which tar-stream reads
 * the entry's header: its name decoded from the raw bytes (`decodeTarName`; tar-stream decodes
 * pax values as UTF-8, replacing what is not), its kind, its real size and sparse layout, read
 * from the pax records with repeats (sparse 0.0). Entry boundaries are found by tar-stream's own
 * rules (which headers carry data, the pax `size`, global records only with an `x` header), so
 * that both always agree on where each header is.
 *
 * Beyond what the stream itself buffers, it holds at most one header block (with the map of an
 * old GNU header's extension blocks, 4 MiB at most) or a pax header's data (4 MiB at most, as
 * tar-stream).
 */
export class TarHeaderScan extends Transform {
  private state: State = { at: 'header' };
  private left: Uint8Array = new Uint8Array(0);
  /** Bytes passed on so far: where tar-stream is in its input. */
  private written = 0;
  private readonly headers = new Map<number, TarEntryHeader>();
  private global: readonly PaxRecord[] = [];
  private pax: readonly PaxRecord[] | undefined;
  private longName: Uint8Array | undefined;

  /**
   * The header of the entry that tar-stream read at `offset` (its `header` stream's `offset`),
   * forgotten once taken.
   */
  headerAt(offset: number): TarEntryHeader | undefined {
    const header = this.headers.get(offset);
    this.headers.delete(offset);
    return header;
  }

  override _transform(chunk: Uint8Array, _encoding: BufferEncoding, done: TransformCallback): void {
    const bytes = this.left.length > 0 ? Buffer.concat([this.left, chunk]) : chunk;
    let at = 0;
    while (at < bytes.length) {
      const state = this.state;
      if (state.at === 'through') {
        this.pass(bytes.subarray(at));
        at = bytes.length;
      } else if (state.at === 'data' || state.at === 'drop' || state.at === 'meta') {
        const piece = bytes.subarray(at, at + state.left);
        at += piece.length;
        state.left -= piece.length;
        if (state.at !== 'drop') this.pass(piece);
        if (state.at === 'meta') state.chunks.push(piece);
        if (state.left === 0) this.state = state.at === 'meta' ? this.endMeta(state) : { at: 'header' };
      } else if (bytes.length - at >= 512) {
        this.block(bytes.subarray(at, at + 512));
        at += 512;
      } else {
        break;
      }
    }
    this.left = Uint8Array.from(bytes.subarray(at));
    done();
  }

  override _flush(done: TransformCallback): void {
    // A cut inside a block: tar-stream is given the bytes and reports the archive cut short.
    this.pass(this.left);
    done();
  }

  private pass(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.written += bytes.length;
    this.push(bytes);
  }

  private block(block: Uint8Array): void {
    const state = this.state;
    if (state.at === 'extension') return this.extension(state, block);
    if (state.at === 'directory') {
      if (readHeaderBlock(block) !== undefined) return this.header(block);
      const dropped = Math.ceil(state.size / 512) * 512 - 512;
      this.state = dropped > 0 ? { at: 'drop', left: dropped } : { at: 'header' };
      return;
    }
    this.header(block);
  }

  private header(block: Uint8Array): void {
    const header = readHeaderBlock(block);
    if (header === 'end') return this.pass(block);
    if (!header || !(header.size >= 0)) {
      this.state = { at: 'through' };
      return this.pass(block);
    }
    const typeflag = normalTypeflag(header);
    const out = header.checksum === 'signed' || typeflag !== header.typeflag ? rewriteHeaderBlock(block, typeflag) : block;
    if (metaTypes.has(typeflag)) {
      if (header.size > maxHeaderData) this.state = { at: 'through' };
      else if (header.size > 0) this.state = { at: 'meta', typeflag, left: header.size + padding(header.size), chunks: [], size: header.size };
      else this.state = this.endMeta({ at: 'meta', typeflag, left: 0, chunks: [], size: 0 });
      return this.pass(out);
    }
    this.entry(header, out);
  }

  /** Reads a pax or long-name header's data once it has all passed. */
  private endMeta(state: Extract<State, { at: 'meta' }>): State {
    const data = Buffer.concat(state.chunks).subarray(0, state.size);
    if (state.typeflag === 'g') this.global = parsePaxRecords(data);
    else if (state.typeflag === 'x') this.pax = [...this.global, ...parsePaxRecords(data)];
    else if (state.typeflag === 'L' || state.typeflag === 'N') this.longName = untilNul(data, 0, data.length);
    return { at: 'header' };
  }

  private entry(header: TarHeaderBlock, out: Uint8Array): void {
    const pax = this.pax ?? [];
    const paxSize = paxText(pax, 'size');
    const stored = paxSize ? parseInt(paxSize, 10) : header.size;
    if (!(stored >= 0)) {
      this.state = { at: 'through' };
      return this.pass(out);
    }
    const typeflag = normalTypeflag(header);
    const rawName = paxBytes(pax, 'GNU.sparse.name') ?? paxBytes(pax, 'path') ?? this.longName ?? header.name;
    const sparse = kindOf(typeflag) === 'file' && typeflag !== 'S' ? paxSparseLayout(pax) : undefined;
    const entry: TarEntryHeader = {
      name: decodeTarName(rawName),
      kind: kindOf(typeflag),
      size: sparse ? sparse.realSize : stored,
      ...(sparse && { sparse }),
    };
    this.pax = undefined;
    this.longName = undefined;
    if (typeflag === 'S') {
      const realSize = tarNumber(out, oldGnuSparse.header.realSize, 12);
      const regions = oldGnuRegions(out, oldGnuSparse.header);
      const sparseEntry = { ...entry, size: realSize };
      if (out[oldGnuSparse.header.isExtended]) this.state = { at: 'extension', block: out, entry: sparseEntry, regions, stored };
      else this.begin({ ...sparseEntry, sparse: { realSize, regions } }, out, stored);
      return;
    }
    this.begin(entry, out, stored);
  }

  /** Reads one old GNU sparse extension block; after the last, passes the header on. */
  private extension(state: Extract<State, { at: 'extension' }>, block: Uint8Array): void {
    if (!state.problem) state.regions.push(...oldGnuRegions(block, oldGnuSparse.extension));
    if (state.regions.length * 24 > maxHeaderData) {
      // Such a map would be held in memory whole: the entry fails, the archive goes on.
      state.problem = `its sparse map is over ${maxHeaderData} bytes`;
      state.regions.length = 0;
    }
    if (block[oldGnuSparse.extension.isExtended]) return;
    const { entry, regions, problem } = state;
    this.begin({ ...entry, sparse: { realSize: entry.size, regions }, ...(problem && { problem }) }, state.block, state.stored);
  }

  /** Keeps an entry's header for tar-stream's reading of it, passes the header on, and moves to its data. */
  private begin(entry: TarEntryHeader, block: Uint8Array, stored: number): void {
    this.headers.set(this.written, entry);
    this.pass(block);
    if (entry.kind === 'directory') this.state = stored > 0 ? { at: 'directory', size: stored } : { at: 'header' };
    else this.state = stored > 0 ? { at: 'data', left: stored + padding(stored) } : { at: 'header' };
  }
}
