import { createCipheriv } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import yazl from 'yazl';
import { measure } from './measure.js';
import { megabytes, seconds, table } from './report.js';

/** The bound for peak RSS while a 1 GB entry is uploaded to Telegram. */
export const uploadRssTarget = 150e6;

/** The entry's size: 1 GiB. */
const entryBytes = 1024 ** 3;

const child = fileURLToPath(new URL('./telegramUploadChild.js', import.meta.url));

/** Incompressible bytes, fast: AES-CTR over zeros with a fixed key, in 1 MiB chunks. */
function incompressible(length: number): Readable {
  const cipher = createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16, 0));
  const zeros = Buffer.alloc(1024 * 1024);
  let left = length;
  return new Readable({
    read() {
      if (left === 0) return void this.push(null);
      const size = Math.min(left, zeros.length);
      left -= size;
      this.push(cipher.update(zeros.subarray(0, size)));
    },
  });
}

/** A zip holding one stored 1 GiB "movie", built once in the cache folder. */
async function oneEntryZip(cacheDir: string, progress: (line: string) => void): Promise<string> {
  const file = join(cacheDir, 'one-gib-entry.zip');
  const existing = await stat(file).catch(() => undefined);
  if (existing && existing.size > entryBytes) return file;
  progress(`building ${file}`);
  await mkdir(cacheDir, { recursive: true });
  const zip = new yazl.ZipFile();
  zip.addReadStream(incompressible(entryBytes), 'movie.mkv', { compress: false });
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(`${file}.partial`));
  await rm(file, { force: true });
  await rename(`${file}.partial`, file);
  return file;
}

/**
 * Uploads a 1 GiB entry to Telegram through the whole pipeline and the real gramjs client, whose
 * `invoke` is the test recorder (keeping only part lengths), and reports the peak RSS of that
 * process against {@link uploadRssTarget}: the upload streams 512 KiB parts from the temp file.
 *
 * @return The report's lines.
 */
export async function runTelegramUpload(cacheDir: string, progress: (line: string) => void): Promise<string[]> {
  const archive = await oneEntryZip(cacheDir, progress);
  const state = join(cacheDir, 'run-telegram-state');
  await rm(state, { recursive: true, force: true });
  progress('uploading 1 GiB to the recorded Telegram client');
  try {
    const run = await measure({ command: process.execPath, args: [child, archive, state] });
    if (run.code !== 0) return [`telegram upload failed (exit ${run.code}): ${run.stderr.trim().split('\n').at(-1) ?? ''}`];
    const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { messages: number; parts: number; bytes: number; seconds: number };
    const rows = [
      {
        run: 'telegram-upload',
        'entry MB': megabytes(entryBytes),
        'wall s': seconds(run.wallMs),
        'upload MB/s': (result.bytes / 1e6 / result.seconds).toFixed(0),
        parts: String(result.parts),
        messages: String(result.messages),
        'peak RSS MB': megabytes(run.memory.peakBytes),
      },
    ];
    const verdict = run.memory.peakBytes <= uploadRssTarget ? 'within' : 'OVER';
    return [...table(rows), '', `telegram-upload: peak RSS ${megabytes(run.memory.peakBytes)} MB against the ${megabytes(uploadRssTarget)} MB target (${verdict})`];
  } finally {
    await rm(state, { recursive: true, force: true });
  }
}
