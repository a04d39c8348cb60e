/**
 * What a file sent to the bot is, from its name and type as Telegram gives them: an archive to
 * unpack (zip, tar, tar.gz), an archive in a format not read yet (7z, RAR), or anything else,
 * which is passed on as it is. Only a guess: the pipeline tells the format from the first bytes,
 * and a "zip" that is not one fails with a clear reason.
 */
export function archiveKindOf(fileName: string, mimeType: string): 'archive' | 'unsupported' | 'other' {
  const name = fileName.toLowerCase();
  if (/\.(zip|tar|tgz|tar\.gz|cbz)$/.test(name)) return 'archive';
  if (/^application\/(zip|x-zip-compressed|x-tar|gzip|x-gzip|x-compressed-tar)$/.test(mimeType)) return 'archive';
  if (/\.(7z|rar|r\d\d)$/.test(name) || /^application\/(x-7z-compressed|vnd\.rar|x-rar-compressed)$/.test(mimeType)) return 'unsupported';
  return 'other';
}
