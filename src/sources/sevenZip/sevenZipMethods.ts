/**
 * The coders 7-Zip 24.09 (as built in 7z-wasm) decodes in a 7z archive, in lower case as its
 * listing names them (`LZMA2:24`, `BCJ`, `7zAES:19`, …).
 */
const sevenZipCoders: ReadonlySet<string> = new Set([
  'copy', 'lzma', 'lzma2', 'ppmd', 'bzip2', 'deflate', 'deflate64', 'delta', 'bcj', 'bcj2', 'arm', 'armt', 'arm64', 'ppc', 'ia64',
  'sparc', 'riscv', 'swap2', 'swap4', '7zaes', 'aes',
]);

/**
 * The first coder of a 7z item's method that 7-Zip does not know (one added by a fork of 7-Zip,
 * as Zstandard or LZ4, listed by its hex id), as the listing names it; `undefined` when it can decode them all, or for RAR, whose methods 7-Zip names by
 * version and reads all of.
 *
 * @param method `Method` from the listing, coders separated by spaces.
 */
export function unsupportedMethod(method: string, format: '7z' | 'rar'): string | undefined {
  if (format !== '7z') return undefined;
  const coder = method
    .split(/\s+/)
    .filter(Boolean)
    .find((coder) => !sevenZipCoders.has(coder.split(':')[0]!.toLowerCase()));
  return coder;
}
