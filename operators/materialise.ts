import { randomBytes } from 'node:crypto';
import { type FileHandle, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { concatMap, type MonoTypeOperatorFunction, Observable, of } from 'rxjs';
import type { Entry } from '../src/entry.js';
import { describeError, EntryError, TruncatedError, UnreachableError } from '../src/errors.js';
import { refineMediaType } from '../src/mediaType.js';
import type { ReadFailReason, SkipReason } from '../src/reasons.js';
import type { Settled } from '../src/settled.js';
import { crc32 } from '../src/crc32.js';
import type { Step, TempFile } from '../src/step.js';

/** Options of {@link materialise}. */
export interface MaterialiseConfig {
  /** The temp folder (`<state>/tmp`); it must exist. */
  tmpDir: string;
  /** Entries larger than this are skipped with reason `too-large`. Default: no limit. */
  maxEntrySize?: number | undefined;
  /**
   * Zip-bomb guard: an entry whose size is over `bombRatio` times its compressed size, and over
   * `bombMinSize`, is refused with reason `bomb`. Default: 100.
   */
  bombRatio?: number | undefined;
  /** Sizes up to this are never called a bomb. Default: 64 MiB. */
  bombMinSize?: number | undefined;
  /** Generates temp file names. Default: 16 random hex digits plus `.part`. */
  tempName?: (() => string) | undefined;
  /** Told of each chunk written, with its length: a sign of life for a stall watchdog. Default: none. */
  onWrite?: ((bytes: number) => void) | undefined;
}

type Outcome = Extract<Step, { kind: 'skipped' | 'failed' }>;
type Failed = Extract<Step, { kind: 'failed' }>;

const skip = (entry: Entry, reason: SkipReason, detail: string): Outcome => ({ kind: 'skipped', entry, reason, detail });

/** Why an entry is not written at all, judged from its headers alone. */
function refusal(entry: Entry, config: Settled<Omit<MaterialiseConfig, 'tempName' | 'onWrite'>>): Outcome | undefined {
  switch (entry.kind) {
    case 'directory':
      return skip(entry, 'directory', 'a directory');
    case 'symlink':
    case 'hardlink':
      return skip(entry, 'link', `a ${entry.kind === 'symlink' ? 'symbolic' : 'hard'} link; links are never followed`);
    case 'other':
      return skip(entry, 'special', 'a device, FIFO or other special entry');
    case 'file':
      break;
  }
  if (entry.unsupportedMethod !== undefined) return skip(entry, 'unsupported-method', `compressed with ${entry.unsupportedMethod}, which unspool cannot decompress`);
  if (entry.problem) return { kind: 'failed', entry, reason: 'unreadable', detail: entry.problem };
  if (entry.encrypted === 'no-password') return skip(entry, 'encrypted', 'password-protected; give --password (or /pass to the bot)');
  if (entry.encrypted === 'aes') {
    return skip(entry, 'encrypted-aes', 'PKWARE strong encryption: not supported; traditional zip encryption and WinZip AES can be read');
  }
  if (entry.size === 0) return skip(entry, 'empty', 'a zero-byte file (Telegram refuses empty files)');
  const compressed = entry.compressedSize;
  if (compressed !== undefined && entry.size > config.bombMinSize && entry.size > compressed * config.bombRatio) {
    return skip(entry, 'bomb', `declares ${entry.size} bytes from ${compressed} compressed (over ${config.bombRatio}:1): a zip bomb`);
  }
  if (entry.size > config.maxEntrySize) {
    return skip(entry, 'too-large', `${entry.size} bytes, over the ${config.maxEntrySize}-byte limit`);
  }
  return undefined;
}

/** Writes all of `chunk` at the file's position (a write may take fewer bytes than it is given). */
async function writeAll(file: FileHandle, chunk: Uint8Array): Promise<void> {
  for (let at = 0; at < chunk.length; ) at += (await file.write(chunk, at, chunk.length - at)).bytesWritten;
}

/**
 * Streams an entry's bytes into a temp file, checking them as they pass: never more bytes than
 * declared (which also stops a bomb whose headers lie), then exactly the declared size and, for
 * zip, the declared CRC-32. Returns the refined media type from the first bytes.
 *
 * Each chunk is written out and checked before the next is asked for, and nothing keeps it (the
 * first bytes are copied): so the source may lend its chunks (`reuseChunks`), and reads into the
 * same memory again. The CRC-32 of a chunk is computed while the chunk is being written.
 */
async function write(entry: Entry, path: string, signal: AbortSignal, onWrite?: (bytes: number) => void): Promise<TempFile> {
  let written = 0;
  let crc = 0;
  let head: Uint8Array | undefined;
  const fail = (reason: ReadFailReason, detail: string) => new EntryError(entry.archive, entry.name, reason, detail);
  const bytes = entry.open({ reuseChunks: true });
  // Unsubscribing stops a read that waits (a stalled download) as well as the loop below.
  const stop = () => bytes.destroy(signal.reason as Error);
  signal.addEventListener('abort', stop, { once: true });
  const file = await open(path, 'wx');
  try {
    for await (const chunk of bytes as AsyncIterable<Uint8Array>) {
      signal.throwIfAborted();
      written += chunk.length;
      if (written > entry.size) throw fail('size-mismatch', `more than the ${entry.size} bytes its header declares`);
      head ??= Buffer.from(chunk.subarray(0, 16));
      const writing = writeAll(file, chunk);
      if (entry.crc32 !== undefined) crc = crc32(chunk, crc);
      await writing;
      onWrite?.(chunk.length);
    }
  } catch (error) {
    bytes.destroy(error as Error);
    throw error;
  } finally {
    signal.removeEventListener('abort', stop);
    await file.close();
  }
  if (written !== entry.size) throw fail('size-mismatch', `${written} bytes, but its header declares ${entry.size}`);
  if (entry.crc32 !== undefined && crc >>> 0 !== entry.crc32 >>> 0) {
    throw fail('crc-mismatch', `CRC-32 ${hex(crc)} does not match the declared ${hex(entry.crc32)}: the data is corrupt`);
  }
  return { entry, path, size: written, media: refineMediaType(entry.media, head ?? new Uint8Array()) };
}

const hex = (n: number) => (n >>> 0).toString(16).padStart(8, '0');

/**
 * The codes of the error a stream is destroyed with when one it is piped from or to closes before
 * its end: Node's own, and streamx's (tar-stream's streams). The bytes stopped coming mid-entry.
 */
const prematureClose: ReadonlySet<unknown> = new Set(['ERR_STREAM_PREMATURE_CLOSE', 'PREMATURE_CLOSE']);

/** Whether an error says the entry's data ends early: the sources raise a {@link TruncatedError}. */
const isTruncation = (error: unknown) => error instanceof TruncatedError || prematureClose.has((error as { code?: unknown } | undefined)?.code);

/** Turns an error while reading an entry into its failed outcome, in words. */
function failure(entry: Entry, error: unknown): Failed {
  if (error instanceof EntryError) return { kind: 'failed', entry, reason: error.reason, detail: error.detail };
  const text = describeError(error);
  return isTruncation(error)
    ? { kind: 'failed', entry, reason: 'truncated', detail: `the archive ends inside this entry (${text})` }
    : { kind: 'failed', entry, reason: 'corrupt', detail: `cannot be read: ${text}` };
}

/** Reasons that decrypted bytes fail for when the key was wrong: garbage inflates badly, if at all. */
const garbled: ReadonlySet<string> = new Set<ReadFailReason>(['corrupt', 'crc-mismatch', 'size-mismatch']);

/**
 * A decrypted entry whose bytes fail a check was, all but surely, read with a wrong password:
 * the encryption header checks only one byte, so 1 wrong password in 256 gets past it. Such a
 * failure says so, rather than call the archive corrupt.
 */
function decryptedFailure(entry: Entry, error: unknown): Failed {
  const outcome = failure(entry, error);
  // A source that authenticates what it decrypts (WinZip AES) says `corrupt` itself when the
  // authentication fails, and knows the password passed a 16-bit check first: that verdict stands.
  if (error instanceof EntryError && error.reason === 'corrupt') return outcome;
  if (entry.encrypted !== 'password' || !garbled.has(outcome.reason)) return outcome;
  return { ...outcome, reason: 'wrong-password', detail: `the password is wrong, or the entry is corrupt: ${outcome.detail}` };
}

/**
 * Writes each file entry to a temp file in `tmpDir`, one at a time, and emits it as
 * `materialised`; entries that are not written become `skipped` or `failed` steps.
 *
 * The temp file gets a generated name, never the entry's. The bytes stream through (no whole-entry
 * buffer) and are checked against the declared size and, for zip, the CRC-32; on any mismatch or
 * read error the temp file is deleted and the entry fails with the reason, and the run goes on:
 * `truncated` when the source says the data ends early (a `TruncatedError`, or a stream closed
 * before its end), `corrupt` for any other read error.
 * Directories, links, special entries, empty, too large and bomb entries are skipped before a byte
 * is written, and so are encrypted entries that cannot be read (`encrypted` without a password,
 * `encrypted-aes`) and entries compressed with a method the source cannot decompress
 * (`unsupported-method`). An entry decrypted with a password whose bytes fail a check fails as
 * `wrong-password`. An `UnreachableError` (the source out of reach for longer than the run may
 * wait) is no entry's fault: it ends the run, the entry left to the next one. Unsubscribing stops
 * the write and deletes the partial file.
 *
 * ```
 * source:  -e1---------d-----e2-------|      e = entry, d = directory entry
 * result:  ----(m1)----(s)-------(m2)-|      m = materialised, s = skipped
 * ```
 *
 * ## Examples
 * ```ts
 * import { materialise } from 'unspool';
 * steps$.pipe(materialise({ tmpDir: '/state/tmp' }));
 * ```
 *
 * @see freeSpaceGate
 * @see albums
 * @param config The temp folder, the size limit (default none), the bomb ratio (default 100:1 above
 * 64 MiB) and the temp name generator.
 * @return An operator from entry steps to materialised, skipped or failed steps.
 */
export function materialise(config: MaterialiseConfig): MonoTypeOperatorFunction<Step> {
  const limits = {
    tmpDir: config.tmpDir,
    maxEntrySize: config.maxEntrySize ?? Number.POSITIVE_INFINITY,
    bombRatio: config.bombRatio ?? 100,
    bombMinSize: config.bombMinSize ?? 64 * 1024 * 1024,
  };
  const tempName = config.tempName ?? (() => `${randomBytes(8).toString('hex')}.part`);

  const materialiseEntry = (entry: Entry): Observable<Step> => {
    const refused = refusal(entry, limits);
    if (refused) return of(refused);
    return new Observable<Step>((subscriber) => {
      const aborter = new AbortController();
      const path = join(limits.tmpDir, tempName());
      write(entry, path, aborter.signal, config.onWrite).then(
        (file) => {
          subscriber.next({ kind: 'materialised', file });
          subscriber.complete();
        },
        async (error: unknown) => {
          await rm(path, { force: true });
          if (aborter.signal.aborted) return;
          // The source out of reach is not this entry's fault: the run stops, to resume later.
          if (error instanceof UnreachableError) return subscriber.error(error);
          subscriber.next(decryptedFailure(entry, error));
          subscriber.complete();
        },
      );
      return () => aborter.abort();
    });
  };

  return concatMap((step) => (step.kind === 'entry' ? materialiseEntry(step.entry) : of(step)));
}
