import type { VolumeName } from '../sources/volumeNames.js';

/**
 * The answer to later volumes of a set that came without its first (`x.part2.rar`) when no more
 * came for a while: it says what does work instead of passing the piece on as a document. The
 * volumes are kept: the first sent later completes the set.
 *
 * @param fileName The volume's file name.
 * @param volume What its name says of its set.
 */
export function laterVolumeText(fileName: string, volume: VolumeName): string {
  return (
    `${fileName} is volume ${volume.number} of a ${volume.format === '7z' ? '7z' : volume.format === 'rar' ? 'RAR' : 'zip'} set, and its first volume, ${volume.main}, has not come. ` +
    'Send it too and I will unpack the set, or send me the set packed as one file.'
  );
}

/**
 * The answer to a set sent as separate files that still misses volumes when no more came for a
 * while: which ones, and that the set waits for them.
 *
 * @param main The name the set is known by (its first volume, or the `x.zip` ending a spanned zip).
 * @param received How many of its volumes came.
 * @param missing The names of the volumes missing, in order.
 */
export function missingVolumesText(main: string, received: number, missing: readonly string[]): string {
  const them = missing.length === 1 ? 'it' : 'them';
  return `${main}: I have ${received} volume${received === 1 ? '' : 's'} of this set, but ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing. Send ${them} and I will unpack the set.`;
}
