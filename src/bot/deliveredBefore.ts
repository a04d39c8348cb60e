import { Manifest, type ManifestData } from '../state/manifest.js';

/**
 * The manifest among `files` of an archive that a run read to its end (`completedAt` set), if
 * there is one: that archive was delivered before, and the bot says so instead of posting it all
 * again. A missing or unreadable manifest counts as not delivered.
 *
 * @param files Manifests that may be the archive's: the one its source keys to, and those of
 * earlier jobs of the same Telegram file.
 */
export async function deliveredBefore(files: readonly string[]): Promise<ManifestData | undefined> {
  for (const file of files) {
    try {
      const data = (await Manifest.load(file, file))?.data;
      if (data?.completedAt) return data;
    } catch {
      // No manifest, or none worth trusting: not delivered before.
    }
  }
  return undefined;
}
