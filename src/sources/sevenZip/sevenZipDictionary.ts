/**
 * The most memory that decoding may take beside 7-Zip itself: its WebAssembly heap cannot grow
 * past 2 GiB (a 32-bit build), and buffers, tables and the program take their share.
 */
export const maxDictionaryBytes = 1536 * 1024 * 1024;

/** A size as 7-Zip prints it in a method: `24` is 2^24 bytes; `768k`, `192m`, `1g`, `4096b` are sizes. */
function sizeOf(text: string): number {
  const match = /^(\d+)([bkmg]?)$/i.exec(text);
  if (!match) return 0;
  const value = Number(match[1]);
  const unit = match[2]!.toLowerCase();
  if (unit === '') return value <= 40 ? 2 ** value : value;
  return value * { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[unit as 'b' | 'k' | 'm' | 'g'];
}

/** Coders whose parameter is not a memory size (a number of cycles, a distance, an order). */
const notMemory: ReadonlySet<string> = new Set(['7zaes', 'aes', 'delta', 'bcj2', 'arm64', 'riscv', 'swap2', 'swap4']);

/**
 * The largest dictionary (or model memory) a method string names, in bytes: what decoding it
 * needs at least. `LZMA2:24` is 16 MiB, `LZMA2:192m` 192 MiB, `PPMD:o6:mem24` 16 MiB; RAR's
 * `v5:128m` 128 MiB. Coders without a dictionary (`Copy`, `BZip2`, `Deflate`) count 0.
 *
 * @param method `Method` from 7-Zip's listing, coders separated by spaces.
 */
export function dictionaryBytes(method: string): number {
  let largest = 0;
  for (const coder of method.split(/\s+/)) {
    const [name = '', ...parameters] = coder.split(':');
    if (notMemory.has(name.toLowerCase())) continue;
    for (const parameter of parameters) {
      const size = parameter.toLowerCase().startsWith('mem') ? sizeOf(parameter.slice(3)) : /^\d/.test(parameter) ? sizeOf(parameter) : 0;
      largest = Math.max(largest, size);
    }
  }
  return largest;
}
