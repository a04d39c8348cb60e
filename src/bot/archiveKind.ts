import { isLaterVolume } from '../sources/volumeNames.js';

/** Names of the archives unspool reads, comic-book names (`.cbz`, `.cbr`, `.cb7`) and volume sets' first volumes included. */
const archiveName = /\.(zip|cbz|tar|tgz|tar\.gz|7z|cb7|rar|cbr|tar\.xz|txz|tar\.bz2|tbz2|tbz|tar\.zst|tar\.zstd|tzst|7z\.001|zip\.001|rar\.001)$/;

/**
 * Media types Telegram gives such archives. The compressors' own types (xz, bzip2, zstd, gzip)
 * are taken as archives too, as `application/gzip` always was: most such files are compressed
 * tars, and one that is not is refused by the pipeline with a reason.
 */
const archiveType =
  /^application\/(zip|x-zip-compressed|x-tar|gzip|x-gzip|x-compressed-tar|x-7z-compressed|vnd\.rar|x-rar-compressed|x-rar|x-xz|x-xz-compressed-tar|x-bzip2|x-bzip|x-bzip2-compressed-tar|x-bzip-compressed-tar|zstd|x-zstd|x-zstd-compressed-tar|vnd\.comicbook\+zip|vnd\.comicbook-rar|x-cbr|x-cbz|x-cb7)$/;

/**
 * What a file sent to the bot is, from its name and type as Telegram gives them: an archive to
 * unpack (zip, tar, a compressed tar, 7z, RAR, or the first volume of a set), a later volume of a
 * set (`x.part2.rar`, `x.7z.002`, `x.r00`, `x.z01`), which cannot be read without the volumes
 * before it, or anything else, which is passed on as it is. Only a guess: the pipeline tells the
 * format from the first bytes, and a "zip" that is not one fails with a clear reason.
 *
 * @param fileName The document's file name.
 * @param mimeType The document's media type, as the sender's app declared it.
 */
export function archiveKindOf(fileName: string, mimeType: string): 'archive' | 'later-volume' | 'other' {
  // Before the types: a set's later volume is typed as a RAR or 7z archive like its first.
  if (isLaterVolume(fileName)) return 'later-volume';
  if (archiveName.test(fileName.toLowerCase())) return 'archive';
  if (archiveType.test(mimeType.toLowerCase())) return 'archive';
  return 'other';
}
