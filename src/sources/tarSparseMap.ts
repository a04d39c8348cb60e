import { tarNumber } from './tarHeaderBlock.js';
import { type PaxRecord, paxText } from './tarPax.js';

/** One stretch of a sparse file that holds data; everything between regions is a hole of zeros. */
export interface SparseRegion {
  /** Where the stretch starts in the real file. */
  readonly offset: number;
  /** Its length; its bytes are stored one region after another in the entry's data. */
  readonly size: number;
}

/** How a GNU sparse entry's stored data becomes its real content. */
export interface SparseLayout {
  /** The size of the real file, holes included. */
  readonly realSize: number;
  /**
   * The regions, when the headers carry them (old GNU, pax 0.0 and 0.1); absent for pax 1.0,
   * whose map starts the entry's data.
   */
  readonly regions?: readonly SparseRegion[];
}

/** Old GNU sparse headers keep 4 regions in the header itself and 21 in each extension block. */
export const oldGnuSparse = {
  header: { first: 386, count: 4, isExtended: 482, realSize: 483 },
  extension: { first: 0, count: 21, isExtended: 504 },
} as const;

/**
 * The regions of an old GNU sparse header (type `S`) or of one of its extension blocks: pairs of
 * 12-byte numbers (offset, size) from `first`, up to the first empty slot.
 *
 * @param block The header or extension block.
 * @param layout Where its slots are: {@link oldGnuSparse}`.header` or `.extension`.
 */
export function oldGnuRegions(block: Uint8Array, layout: { first: number; count: number }): SparseRegion[] {
  const regions: SparseRegion[] = [];
  for (let slot = 0; slot < layout.count; slot++) {
    const at = layout.first + slot * 24;
    if (block[at] === 0 && block[at + 12] === 0) break;
    regions.push({ offset: tarNumber(block, at, 12), size: tarNumber(block, at + 12, 12) });
  }
  return regions;
}

/** Numbers from a pax value, as GNU tar writes them (decimal). */
const decimal = (text: string | undefined): number => (text !== undefined && /^\d+$/.test(text) ? Number(text) : Number.NaN);

/**
 * The sparse layout that pax records describe, in the three formats GNU tar writes (GNU tar's
 * manual, "Sparse Formats"), told apart as Python's `tarfile` tells them:
 * - 0.1: `GNU.sparse.map` is `offset,size,offset,size,…`; the real size is `GNU.sparse.size`;
 * - 0.0: `GNU.sparse.offset` and `GNU.sparse.numbytes` repeat once per region, in order;
 * - 1.0: `GNU.sparse.major=1` and `GNU.sparse.minor=0`, the real size is `GNU.sparse.realsize`, and
 *   the map is at the start of the entry's data.
 *
 * @param records The entry's pax records (global ones first).
 * @return The layout, or `undefined` if the records describe no sparse file.
 */
export function paxSparseLayout(records: readonly PaxRecord[]): SparseLayout | undefined {
  const map = paxText(records, 'GNU.sparse.map');
  if (map !== undefined) {
    const numbers = map === '' ? [] : map.split(',').map(decimal);
    const regions: SparseRegion[] = [];
    for (let i = 0; i + 1 < numbers.length; i += 2) regions.push({ offset: numbers[i]!, size: numbers[i + 1]! });
    return { realSize: decimal(paxText(records, 'GNU.sparse.size')), regions };
  }
  const size = paxText(records, 'GNU.sparse.size');
  if (size !== undefined) {
    const offsets = records.filter((record) => record.keyword === 'GNU.sparse.offset');
    const sizes = records.filter((record) => record.keyword === 'GNU.sparse.numbytes');
    const regions = offsets.slice(0, sizes.length).map((offset, i) => ({
      offset: decimal(Buffer.from(offset.value).toString('latin1')),
      size: decimal(Buffer.from(sizes[i]!.value).toString('latin1')),
    }));
    return { realSize: decimal(size), regions };
  }
  if (paxText(records, 'GNU.sparse.major') === '1' && paxText(records, 'GNU.sparse.minor') === '0') {
    return { realSize: decimal(paxText(records, 'GNU.sparse.realsize')) };
  }
  return undefined;
}
