import type { VolumeName } from './volumeName.js';

/**
 * The answer to a later volume of a set sent alone (`x.part2.rar`): the bot reads one Telegram
 * file as one archive, and cannot join volumes that come as separate files yet, so it says what
 * does work instead of passing the piece on as a document.
 *
 * @param fileName The volume's file name.
 * @param volume What its name says of its set.
 */
export function laterVolumeText(fileName: string, volume: VolumeName): string {
  return (
    `${fileName} is volume ${volume.number} of a ${volume.format === '7z' ? '7z' : volume.format === 'rar' ? 'RAR' : 'zip'} set, and I cannot join volumes sent as separate files yet. ` +
    `Put all of them in one folder and run unspool send on ${volume.main} there (or /send me its path, if the folder is on my disk), or send me the set packed as one file.`
  );
}
