// The upper half of IBM code page 437, which zip names use when the UTF-8 flag is not set.
const upperHalf =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes a zip entry name. The zip format says names are CP437 unless the UTF-8 flag is set, but
 * many tools write UTF-8 without setting it, so bytes that are valid UTF-8 are read as UTF-8 and
 * only the rest as CP437.
 *
 * @param bytes The name as stored.
 * @param flaggedUtf8 Whether general-purpose bit 11 (language encoding) is set.
 */
export function decodeZipName(bytes: Uint8Array, flaggedUtf8: boolean): string {
  if (flaggedUtf8) return Buffer.from(bytes).toString('utf8');
  try {
    return utf8.decode(bytes);
  } catch {
    let text = '';
    for (const byte of bytes) text += byte < 0x80 ? String.fromCharCode(byte) : upperHalf[byte - 0x80];
    return text;
  }
}
