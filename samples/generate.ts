/**
 * Writes `samples/sample.zip`, the archive that `npm start` delivers: a dozen small PNG photos,
 * two WAV tones, a few documents, an empty file and a folder, so one run shows photo albums split
 * at 10, audio and documents in albums of their own, and a skipped entry.
 * Run with `npm run samples`; the result is committed, so a fresh clone needs no generator.
 */
import { createWriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateSync } from 'node:zlib';
import yazl from 'yazl';

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** A width × height RGB PNG with a diagonal gradient in the given hue. */
export function png(width: number, height: number, hue: number): Buffer {
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++) {
      const light = (x + y) / (width + height);
      row[1 + x * 3] = Math.round(255 * light * Math.abs(Math.sin(hue)));
      row[2 + x * 3] = Math.round(255 * light * Math.abs(Math.sin(hue + 2)));
      row[3 + x * 3] = Math.round(255 * light * Math.abs(Math.sin(hue + 4)));
    }
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))]);
}

/** A mono 16-bit PCM WAV tone. */
export function wav(frequency: number, seconds: number, rate = 8000): Buffer {
  const samples = Math.round(seconds * rate);
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) data.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * frequency * i) / rate)), i * 2);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

const here = dirname(fileURLToPath(import.meta.url));
const target = join(here, '..', '..', 'samples', 'sample.zip');
const zip = new yazl.ZipFile();
const mtime = new Date('2026-01-01T12:00:00Z');
zip.addEmptyDirectory('holiday/', { mtime });
for (let i = 1; i <= 12; i++) {
  zip.addBuffer(png(160, 120, i), `holiday/beach-${String(i).padStart(2, '0')}.png`, { mtime, compress: false });
}
zip.addBuffer(wav(440, 1), 'music/a440.wav', { mtime });
zip.addBuffer(wav(660, 1), 'music/e660.wav', { mtime });
zip.addBuffer(Buffer.from('unspool sample archive\n\nEvery file here is delivered into an album.\n'), 'README.txt', { mtime });
zip.addBuffer(Buffer.from('day,place\n1,beach\n2,hills\n'), 'docs/itinerary.csv', { mtime });
zip.addBuffer(Buffer.from('# Notes\n\nNothing to see.\n'), 'docs/notes.md', { mtime });
zip.addBuffer(Buffer.alloc(0), 'docs/empty.txt', { mtime });
zip.end();
zip.outputStream.pipe(createWriteStream(target)).on('close', () => process.stdout.write(`wrote ${target}\n`));
