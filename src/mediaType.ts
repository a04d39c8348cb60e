import type { MediaType } from './entry.js';

const byExtension: ReadonlyMap<string, MediaType> = new Map([
  ...['jpg', 'jpeg', 'png', 'webp'].map((ext) => [ext, 'photo'] as const),
  ...['mp4', 'mov', 'm4v', 'mkv', 'webm'].map((ext) => [ext, 'video'] as const),
  ...['mp3', 'm4a', 'flac', 'ogg', 'opus', 'wav'].map((ext) => [ext, 'audio'] as const),
]);

/**
 * The media type of an entry from its name's extension (case-insensitive); anything unknown is a
 * `document`.
 *
 * @param name The entry's name as stored; only the part after the last `/` or `\` counts.
 * @return `photo` for jpg, jpeg, png, webp; `video` for mp4, mov, m4v, mkv, webm; `audio` for mp3,
 * m4a, flac, ogg, opus, wav; `document` otherwise.
 */
export function mediaTypeOf(name: string): MediaType {
  const base = name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
  const dot = base.lastIndexOf('.');
  if (dot <= 0) return 'document';
  return byExtension.get(base.slice(dot + 1).toLowerCase()) ?? 'document';
}

/** Which container format the first bytes of a file show, for the formats that are cheap to tell. */
type Sniffed = 'image' | 'video-container' | 'audio-container' | 'unknown';

function startsWith(head: Uint8Array, bytes: readonly number[], at = 0): boolean {
  return head.length >= at + bytes.length && bytes.every((byte, i) => head[at + i] === byte);
}

function ascii(head: Uint8Array, at: number, text: string): boolean {
  return startsWith(head, [...text].map((c) => c.charCodeAt(0)), at);
}

function sniff(head: Uint8Array): Sniffed {
  if (startsWith(head, [0xff, 0xd8, 0xff])) return 'image';
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image';
  if (ascii(head, 0, 'RIFF') && ascii(head, 8, 'WEBP')) return 'image';
  if (ascii(head, 4, 'ftyp')) return 'video-container';
  if (startsWith(head, [0x1a, 0x45, 0xdf, 0xa3])) return 'video-container';
  if (ascii(head, 0, 'fLaC') || ascii(head, 0, 'OggS') || ascii(head, 0, 'ID3')) return 'audio-container';
  if (ascii(head, 0, 'RIFF') && ascii(head, 8, 'WAVE')) return 'audio-container';
  return 'unknown';
}

/**
 * Refines a media type from the first bytes of the file: a "photo" that is not a JPEG, PNG or WebP
 * image goes as a document (Telegram would refuse it as a photo), and a file whose name says
 * nothing but whose bytes are a JPEG, PNG or WebP image is a photo. Other types are kept: an mp4
 * container may hold audio only, so the extension is the better guide there.
 *
 * @param declared The type from {@link mediaTypeOf}.
 * @param head The first bytes of the file (16 are enough).
 * @return The media type to deliver the file as.
 */
export function refineMediaType(declared: MediaType, head: Uint8Array): MediaType {
  const seen = sniff(head);
  if (declared === 'photo') return seen === 'image' ? 'photo' : 'document';
  if (declared === 'document' && seen === 'image') return 'photo';
  return declared;
}
