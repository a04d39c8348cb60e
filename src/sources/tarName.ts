// ignoreBOM keeps a leading U+FEFF: it is part of the name, not a marker to strip.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Decodes a name stored in a tar archive (a header's name and prefix, a GNU long name, a pax
 * `path` or `GNU.sparse.name`): as UTF-8 when the bytes are valid UTF-8, and otherwise as Latin-1,
 * one character per byte.
 *
 * Tar stores names as bytes in whatever encoding the archiving system used: POSIX pax says UTF-8,
 * but GNU tar up to 1.23 wrote raw bytes into pax records without `hdrcharset=BINARY`, and old
 * ustar, v7 and HP-UX archives are usually Latin-1. Python's `tarfile` keeps such bytes with
 * `surrogateescape`: nothing is lost, but lone surrogates cannot be written to a file name, a
 * JSON manifest or a Telegram caption (they turn into U+FFFD). Latin-1 keeps the same promise
 * (every byte is one character, so the original bytes are `Buffer.from(name, 'latin1')`) in text
 * that can go anywhere, and it is what CPython's own tests read these archives with
 * (`encoding="iso8859-1"`). The whole name is decoded one way, as the zip reader does with CP437.
 *
 * @param bytes The name as stored, up to (not including) its first NUL.
 */
export function decodeTarName(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  }
}
