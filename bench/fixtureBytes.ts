import { createCipheriv, createHash } from 'node:crypto';
import { type FixtureEntry, seededRandom } from './fixtureLayout.js';

/** Chunks of 1 MiB: a whole number of the 64 KiB blocks that photos are built from. */
const chunkSize = 1024 * 1024;
const zeros = Buffer.alloc(chunkSize);
const key = createHash('sha256').update('unspool bench fixtures').digest().subarray(0, 16);

const jpegHeader = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]);
const mp4Header = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypmp42\0\0\0\0mp42isom', 'latin1')]);
const pdfHeader = Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1');
const words = 'the album photo trip beach invoice total paid march receipt meeting notes agenda family garden train hotel city river mountain'.split(' ');

/**
 * AES-128-CTR keystream of one entry: incompressible, the same on every run, and produced at
 * gigabytes per second, far faster than any archiver under test reads it.
 */
function keystream(entry: FixtureEntry) {
  const iv = Buffer.alloc(16);
  iv.writeUInt32BE(entry.index, 0);
  const cipher = createCipheriv('aes-128-ctr', key, iv);
  return (length: number): Buffer => cipher.update(zeros.subarray(0, length));
}

/** Plain text of exactly `size` ASCII bytes, compressible about 4:1 as real notes are. */
function text(entry: FixtureEntry): Buffer {
  const random = seededRandom(entry.index + 1);
  const lines: string[] = [`# ${entry.name}`];
  let length = lines[0]!.length + 1;
  while (length < entry.size) {
    const line = Array.from({ length: 6 + Math.floor(random() * 10) }, () => words[Math.floor(random() * words.length)]).join(' ');
    const numbered = `${Math.floor(random() * 100_000)},${line}`;
    lines.push(numbered);
    length += numbered.length + 1;
  }
  return Buffer.from(`${lines.join('\n')}\n`, 'latin1').subarray(0, entry.size);
}

/**
 * The bytes of one benchmark entry, streamed in chunks of at most 1 MiB (never the whole file in
 * memory). Each kind has the magic bytes that unspool sniffs, so photos go as photos and videos as
 * videos:
 * - photo: a JFIF header, then random bytes with 1 KiB of zeros every 64 KiB and an end marker,
 *   so that deflate saves 1–2 %, as it does on real JPEGs;
 * - video: an `ftyp` box, then random bytes (incompressible, as H.264 is);
 * - pdf: a PDF header, then random bytes (compressed streams);
 * - text: words and numbers, about 4:1 compressible.
 *
 * @param entry The entry, whose index seeds its bytes.
 */
export async function* fixtureBytes(entry: FixtureEntry): AsyncGenerator<Buffer> {
  if (entry.kind === 'text') {
    yield text(entry);
    return;
  }
  const next = keystream(entry);
  const header = entry.kind === 'photo' ? jpegHeader : entry.kind === 'video' ? mp4Header : pdfHeader;
  for (let offset = 0; offset < entry.size; offset += chunkSize) {
    const chunk = next(Math.min(chunkSize, entry.size - offset));
    if (entry.kind === 'photo') {
      for (let block = 0; block < chunk.length; block += 64 * 1024) chunk.fill(0, block, Math.min(block + 1024, chunk.length));
      if (offset + chunk.length === entry.size) chunk.set([0xff, 0xd9], chunk.length - 2);
    }
    if (offset === 0) header.copy(chunk, 0, 0, Math.min(header.length, chunk.length));
    yield chunk;
  }
}
