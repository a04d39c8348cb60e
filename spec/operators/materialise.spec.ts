import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { firstValueFrom, from, lastValueFrom, take, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { materialise } from '../../operators/materialise.js';
import type { Entry, EntryBytes } from '../../src/entry.js';
import { TruncatedError } from '../../src/errors.js';
import type { SkipReason } from '../../src/reasons.js';
import type { Step } from '../../src/step.js';
import { entryStep, testEntry } from '../support/steps.js';

/** An entry whose bytes are the given chunks, read through a real stream. */
function entryWithBytes(index: number, name: string, chunks: Buffer[], fields: Partial<Entry> = {}): Entry {
  const size = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  return testEntry(index, name, {
    size,
    open: () => Readable.from(chunks) as unknown as EntryBytes,
    ...fields,
  });
}

describe('materialise operator', () => {
  let testScheduler: TestScheduler;
  let tmpDir: string;

  beforeEach(async () => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    tmpDir = await mkdtemp(join(tmpdir(), 'unspool-materialise-'));
  });

  afterEach(async () => {
    await rm(tmpDir, { recursive: true, force: true });
  });

  it('skips what is not a deliverable file, with the reason, before reading a byte', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const dir = testEntry(0, 'photos/', { kind: 'directory', size: 0 });
      const link = testEntry(1, 'l.jpg', { kind: 'symlink' });
      const hard = testEntry(2, 'h.jpg', { kind: 'hardlink' });
      const fifo = testEntry(3, 'p', { kind: 'other' });
      const locked = testEntry(4, 'secret.jpg', { encrypted: 'no-password' });
      const empty = testEntry(5, 'empty.txt', { size: 0 });
      const aes = testEntry(6, 'aes.jpg', { encrypted: 'aes' });
      const values = {
        d: entryStep(dir),
        l: entryStep(link),
        h: entryStep(hard),
        f: entryStep(fifo),
        e: entryStep(locked),
        z: entryStep(empty),
        a: entryStep(aes),
      };
      const source = cold('-d-l-h-f-e-z-a-|', values);
      const subs = '       ^--------------!';
      const skipped = (entry: Entry, reason: SkipReason, detail: string): Step => ({ kind: 'skipped', entry, reason, detail });
      expectObservable(source.pipe(materialise({ tmpDir }))).toBe('-d-l-h-f-e-z-a-|', {
        d: skipped(dir, 'directory', 'a directory'),
        l: skipped(link, 'link', 'a symbolic link; links are never followed'),
        h: skipped(hard, 'link', 'a hard link; links are never followed'),
        f: skipped(fifo, 'special', 'a device, FIFO or other special entry'),
        e: skipped(locked, 'encrypted', 'password-protected; give --password (or /pass to the bot)'),
        z: skipped(empty, 'empty', 'a zero-byte file (Telegram refuses empty files)'),
        a: skipped(aes, 'encrypted-aes', 'PKWARE strong encryption: not supported; traditional zip encryption and WinZip AES can be read'),
      });
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it('refuses a zip bomb and an entry over the size limit by their headers', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const bomb = testEntry(0, 'bomb.bin', { size: 5_000_000_000, compressedSize: 5_000_000 });
      const big = testEntry(1, 'big.mp4', { size: 2_000 });
      const source = cold('-b-g-|', { b: entryStep(bomb), g: entryStep(big) });
      expectObservable(source.pipe(materialise({ tmpDir, maxEntrySize: 1_000 }))).toBe('-b-g-|', {
        b: { kind: 'skipped', entry: bomb, reason: 'bomb', detail: 'declares 5000000000 bytes from 5000000 compressed (over 100:1): a zip bomb' },
        g: { kind: 'skipped', entry: big, reason: 'too-large', detail: '2000 bytes, over the 1000-byte limit' },
      } satisfies Record<string, Step>);
    });
  });

  it('fails an entry whose headers say it cannot be read, and skips one whose method the source cannot decompress', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const broken = testEntry(0, 'x.jpg', { problem: 'the zip64 extra field does not give the entry sizes' });
      const ppmd = testEntry(1, 'y.jpg', { problem: 'unsupported compression method 98 (PPMd)', unsupportedMethod: 'PPMd' });
      const source = cold('-x-y-|', { x: entryStep(broken), y: entryStep(ppmd) });
      expectObservable(source.pipe(materialise({ tmpDir }))).toBe('-x-y-|', {
        x: { kind: 'failed', entry: broken, reason: 'unreadable', detail: 'the zip64 extra field does not give the entry sizes' },
        y: { kind: 'skipped', entry: ppmd, reason: 'unsupported-method', detail: 'compressed with PPMd, which unspool cannot decompress' },
      } satisfies Record<string, Step>);
    });
  });

  it('passes other steps through', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const paused: Step = { kind: 'paused', free: 1, needed: 2, entry: testEntry(0, 'a') };
      expectObservable(cold('-p-|', { p: paused }).pipe(materialise({ tmpDir }))).toBe('-p-|', { p: paused });
    });
  });

  it('writes an entry to a temp file under a generated name, byte for byte', async () => {
    const bytes = [Buffer.from('hello '), Buffer.from('world')];
    const entry = entryWithBytes(7, '../../etc/passwd', bytes, { crc32: crc32(Buffer.concat(bytes)) });
    const step = await firstValueFrom(from([entryStep(entry)]).pipe(materialise({ tmpDir, tempName: () => 'fixed.part' })));
    expect(step).toEqual({ kind: 'materialised', file: { entry, path: join(tmpDir, 'fixed.part'), size: 11, media: 'document' } });
    expect(await readFile(join(tmpDir, 'fixed.part'), 'utf8')).toBe('hello world');
  });

  it('refines the media type from the first bytes', async () => {
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
    const notAnImage = Buffer.from('plain text');
    const steps = await lastValueFrom(
      from([entryStep(entryWithBytes(0, 'scan.bin', [jpeg])), entryStep(entryWithBytes(1, 'fake.jpg', [notAnImage], { media: 'photo' }))]).pipe(
        materialise({ tmpDir }),
        toArray(),
      ),
    );
    expect(steps.map((step) => step.kind === 'materialised' && step.file.media)).toEqual(['photo', 'document']);
  });

  it('fails a CRC-32 mismatch, deletes the temp file, and goes on', async () => {
    const bad = entryWithBytes(0, 'bad.jpg', [Buffer.from('corrupted')], { crc32: 0x12345678 });
    const good = entryWithBytes(1, 'good.txt', [Buffer.from('fine')], { crc32: crc32(Buffer.from('fine')) });
    const steps = await lastValueFrom(from([entryStep(bad), entryStep(good)]).pipe(materialise({ tmpDir }), toArray()));
    expect(steps[0]).toEqual({
      kind: 'failed',
      entry: bad,
      reason: 'crc-mismatch',
      detail: `CRC-32 ${crc32(Buffer.from('corrupted')).toString(16).padStart(8, '0')} does not match the declared 12345678: the data is corrupt`,
    });
    expect(steps[1]?.kind).toBe('materialised');
    expect(await readdir(tmpDir)).toHaveLength(1);
  });

  it('fails a decrypted entry whose bytes fail the CRC-32 as wrong-password, and goes on', async () => {
    const garbled = entryWithBytes(0, 'secret.txt', [Buffer.from('garbage')], { crc32: 0x12345678, encrypted: 'password' });
    const good = entryWithBytes(1, 'open.txt', [Buffer.from('fine')], { crc32: crc32(Buffer.from('fine')), encrypted: 'password' });
    const steps = await lastValueFrom(from([entryStep(garbled), entryStep(good)]).pipe(materialise({ tmpDir }), toArray()));
    expect(steps[0]).toEqual({
      kind: 'failed',
      entry: garbled,
      reason: 'wrong-password',
      detail: expect.stringMatching(/^the password is wrong, or the entry is corrupt: CRC-32 [0-9a-f]{8} does not match the declared 12345678/),
    });
    expect(steps[1]).toMatchObject({ kind: 'materialised', file: { entry: good, size: 4 } });
    expect(await readdir(tmpDir)).toHaveLength(1);
  });

  it('keeps the reason of a read error that a wrong password does not explain', async () => {
    const cut = testEntry(0, 'secret.mp4', {
      size: 100,
      encrypted: 'password',
      open: () =>
        Readable.from(
          (async function* () {
            yield Buffer.alloc(10);
            throw new TruncatedError('unexpected end of file');
          })(),
        ) as unknown as EntryBytes,
    });
    const [step] = await lastValueFrom(from([entryStep(cut)]).pipe(materialise({ tmpDir }), toArray()));
    expect(step).toMatchObject({ kind: 'failed', reason: 'truncated' });
  });

  it('fails an entry with fewer bytes than declared', async () => {
    const short = entryWithBytes(0, 'short.txt', [Buffer.from('abc')], { size: 10 });
    const [step] = await lastValueFrom(from([entryStep(short)]).pipe(materialise({ tmpDir }), toArray()));
    expect(step).toEqual({ kind: 'failed', entry: short, reason: 'size-mismatch', detail: '3 bytes, but its header declares 10' });
    expect(await readdir(tmpDir)).toEqual([]);
  });

  it('stops writing as soon as an entry gives more bytes than declared (headers can lie)', async () => {
    let chunksRead = 0;
    const endless = testEntry(0, 'liar.bin', {
      size: 10,
      open: () =>
        Readable.from(
          (function* () {
            for (;;) {
              chunksRead++;
              yield Buffer.alloc(1024);
            }
          })(),
        ) as unknown as EntryBytes,
    });
    const [step] = await lastValueFrom(from([entryStep(endless)]).pipe(materialise({ tmpDir }), toArray()));
    expect(step).toMatchObject({ kind: 'failed', reason: 'size-mismatch', detail: 'more than the 10 bytes its header declares' });
    expect(chunksRead).toBeLessThan(20);
    expect(await readdir(tmpDir)).toEqual([]);
  });

  it('fails a read error as corrupt or truncated, in words', async () => {
    const broken = testEntry(0, 'cut.mp4', {
      size: 100,
      open: () =>
        Readable.from(
          (async function* () {
            yield Buffer.alloc(10);
            throw new TruncatedError('unexpected end of file');
          })(),
        ) as unknown as EntryBytes,
    });
    const [step] = await lastValueFrom(from([entryStep(broken)]).pipe(materialise({ tmpDir }), toArray()));
    expect(step).toEqual({ kind: 'failed', entry: broken, reason: 'truncated', detail: 'the archive ends inside this entry (unexpected end of file)' });
    expect(await readdir(tmpDir)).toEqual([]);
  });

  /** An entry that yields ten bytes of the hundred it declares, then fails with `error`. */
  const failingAfterTen = (error: Error) =>
    testEntry(0, 'cut.mp4', {
      size: 100,
      open: () =>
        Readable.from(
          (async function* () {
            yield Buffer.alloc(10);
            throw error;
          })(),
        ) as unknown as EntryBytes,
    });

  it('fails an entry whose stream closed before its end as truncated, known by the error code', async () => {
    const closed = Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
    const [step] = await lastValueFrom(from([entryStep(failingAfterTen(closed))]).pipe(materialise({ tmpDir }), toArray()));
    expect(step).toMatchObject({ kind: 'failed', reason: 'truncated', detail: 'the archive ends inside this entry (Premature close (ERR_STREAM_PREMATURE_CLOSE))' });
  });

  it('fails any other read error as corrupt, whatever its message says', async () => {
    const [step] = await lastValueFrom(from([entryStep(failingAfterTen(new Error('unexpected end of file')))]).pipe(materialise({ tmpDir }), toArray()));
    expect(step).toMatchObject({ kind: 'failed', reason: 'corrupt', detail: 'cannot be read: unexpected end of file' });
  });

  it('deletes the partial file when unsubscribed mid-write', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow = testEntry(0, 'slow.bin', {
      size: 2048,
      open: () =>
        Readable.from(
          (async function* () {
            yield Buffer.alloc(1024);
            await gate;
            yield Buffer.alloc(1024);
          })(),
        ) as unknown as EntryBytes,
    });
    const subscription = from([entryStep(slow)]).pipe(materialise({ tmpDir })).subscribe();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await readdir(tmpDir)).toHaveLength(1);
    subscription.unsubscribe();
    release();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await readdir(tmpDir)).toEqual([]);
  });

  it('stops pulling a synchronous source once take(n) is satisfied', () => {
    let pulled = 0;
    function* entries() {
      for (let i = 0; i < 100; i++) {
        pulled++;
        yield entryStep(testEntry(i, `d${i}/`, { kind: 'directory', size: 0 }));
      }
    }
    from(entries()).pipe(materialise({ tmpDir }), take(4)).subscribe();
    expect(pulled).toBe(4);
  });
});
