import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { concatMap, lastValueFrom, toArray } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Entry } from '../../src/entry.js';
import { EntryError } from '../../src/errors.js';
import { openArchive } from '../../src/sources/openArchive.js';
import { WrongPasswordError, zipDecryption } from '../../src/sources/zipCrypto.js';
import { pseudoRandomBytes, sha256, textBytes } from '../support/sampleBytes.js';
import { zipCryptoEncrypt } from '../support/zipCrypto.js';
import { aesEntry, writeRawZip } from '../support/zipFixtures.js';

/**
 * `zip -q -X -P 'pässwörd'` (Info-ZIP Zip 3.0) of `hello.txt` and, with `-9`, `long.txt`: written
 * by another program, so that the decrypter is not only checked against our own encrypter. Both
 * entries are deflated, with data descriptors (the header checks the DOS time), and the password
 * is not ASCII (Info-ZIP takes its UTF-8 bytes).
 */
const infoZip = Buffer.from(
  'UEsDBBQACQAIAJWteV3BJKSDOgAAAC8AAAAJAAAAaGVsbG8udHh0AhCKfgF6wlYEu+4db1ItidcbFj0mw5RZhYRh49JxVdLuF/fHX2K8Fzv4q/wKiB774BRXrbNZz6W8' +
    'XFBLBwjBJKSDOgAAAC8AAABQSwMEFAALAAgAla15XWoc0EMeAAAAuAEAAAgAAABsb25nLnR4dHVSzmp45IGVIIp07JCT47MiCgooMUBsq0A6BayY5lBLBwhqHNBD' +
    'HgAAALgBAABQSwECHgMUAAkACACVrXldwSSkgzoAAAAvAAAACQAAAAAAAAABAAAApIEAAAAAaGVsbG8udHh0UEsBAh4DFAALAAgAla15XWoc0EMeAAAAuAEAAAgA' +
    'AAAAAAAAAQAAAKSBcQAAAGxvbmcudHh0UEsFBgAAAAACAAIAbQAAAMUAAAAAAA==',
  'base64',
);

/** Pushes `chunks` through a fresh decrypter and collects what comes out, or the error. */
async function decryptChunks(password: string, check: number, chunks: readonly Buffer[]): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const chunk of Readable.from(chunks).pipe(zipDecryption(password, check))) out.push(chunk as Buffer);
  return Buffer.concat(out);
}

/** Splits bytes at the given lengths, then the rest in one chunk. */
function split(bytes: Buffer, lengths: readonly number[]): Buffer[] {
  const chunks: Buffer[] = [];
  let at = 0;
  for (const length of lengths) {
    chunks.push(bytes.subarray(at, at + length));
    at += length;
  }
  return [...chunks, bytes.subarray(at)];
}

describe('zipDecryption', () => {
  const plain = textBytes(5_000, 'plain');
  const encrypted = zipCryptoEncrypt(plain, 'open sesame', 0xab);

  it('decrypts the same bytes whatever the chunk boundaries, the header split across chunks included', async () => {
    for (const lengths of [[], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], [5, 6, 1], [11], [12], [13, 700], [4_000]]) {
      expect((await decryptChunks('open sesame', 0xab, split(encrypted, lengths))).equals(plain), `chunks ${lengths.join(',')}`).toBe(true);
    }
  });

  it('leaves the chunks it is given unchanged', async () => {
    const copy = Buffer.from(encrypted);
    await decryptChunks('open sesame', 0xab, [copy]);
    expect(copy.equals(encrypted)).toBe(true);
  });

  it('errors with WrongPasswordError when the header does not decrypt to the check byte', async () => {
    await expect(decryptChunks('open says me', 0xab, [encrypted])).rejects.toBeInstanceOf(WrongPasswordError);
    await expect(decryptChunks('open sesame', 0xac, [encrypted])).rejects.toThrow('the password is wrong');
  });

  it('errors as the archive ending when the data stops inside the 12-byte header', async () => {
    await expect(decryptChunks('open sesame', 0xab, [encrypted.subarray(0, 11)])).rejects.toThrow(/^unexpected end of the archive/);
  });
});

describe('encrypted zip entries', () => {
  let folder: string;

  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'unspool-zipcrypto-'));
  });

  afterEach(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  /** Opens a zip, reads every entry's bytes as chunks (or the error), in order. */
  async function readAll(bytes: Buffer | Promise<Buffer>, password?: string) {
    const path = join(folder, 'test.zip');
    await writeFile(path, await bytes);
    const archive = await openArchive(path);
    const read = async (entry: Entry) => {
      const chunks: Buffer[] = [];
      try {
        if (entry.encrypted === false || entry.encrypted === 'password') for await (const chunk of entry.open()) chunks.push(Buffer.from(chunk));
        return { name: entry.name, encrypted: entry.encrypted, chunks };
      } catch (error) {
        return { name: entry.name, encrypted: entry.encrypted, chunks, error };
      } finally {
        entry.release();
      }
    };
    return lastValueFrom(archive.entries({ password }).pipe(concatMap(read), toArray()));
  }

  it('decrypts what Info-ZIP wrote with a non-ASCII password and data descriptors', async () => {
    const [hello, long] = await readAll(infoZip, 'pässwörd');
    expect(Buffer.concat(hello!.chunks).toString()).toBe('Hello from Info-ZIP, encrypted with ZipCrypto.\n');
    expect(Buffer.concat(long!.chunks).toString()).toBe('deflate me '.repeat(40));
  });

  it('tells entries apart by how they are encrypted, and whether a password was given', async () => {
    const zip = join(folder, 'mixed.zip');
    const entries = [
      { name: 'plain.txt', data: 'plain' },
      { name: 'zipcrypto.txt', data: 'secret', password: 'pw' },
      aesEntry('aes.txt', 'not really encrypted'),
      { name: 'strong.txt', data: 'strong', encrypted: true, flags: 0x40 },
    ];
    const names = (read: Awaited<ReturnType<typeof readAll>>) => read.map(({ name, encrypted }) => [name, encrypted]);
    expect(names(await readAll(writeRawZip(zip, entries)))).toEqual([
      ['plain.txt', false],
      ['zipcrypto.txt', 'no-password'],
      ['aes.txt', 'no-password'],
      ['strong.txt', 'aes'],
    ]);
    expect(names(await readAll(writeRawZip(zip, entries), 'pw'))).toEqual([
      ['plain.txt', false],
      ['zipcrypto.txt', 'password'],
      ['aes.txt', 'password'],
      ['strong.txt', 'aes'],
    ]);
  });

  it('streams an encrypted entry over 1 MiB in chunks of at most 256 KiB, stored and deflated', async () => {
    const data = pseudoRandomBytes(1_500_000, 'big');
    const read = await readAll(
      writeRawZip(join(folder, 'big.zip'), [
        { name: 'stored.bin', data, method: 0, password: 'pw' },
        { name: 'deflated.bin', data, method: 8, password: 'pw', descriptor: true },
      ]),
      'pw',
    );
    for (const { name, chunks, error } of read) {
      expect(error, name).toBeUndefined();
      expect(sha256(Buffer.concat(chunks)), name).toBe(sha256(data));
      expect(chunks.length, name).toBeGreaterThanOrEqual(6);
      expect(Math.max(...chunks.map((chunk) => chunk.length)), name).toBeLessThanOrEqual(256 * 1024);
    }
  });

  it('fails an entry as wrong-password, naming it, as soon as the header check fails', async () => {
    const [entry] = await readAll(writeRawZip(join(folder, 'w.zip'), [{ name: 'secret.txt', data: textBytes(100_000, 'w'), password: 'right' }]), 'wrong');
    expect(entry!.chunks).toEqual([]);
    expect(entry!.error).toBeInstanceOf(EntryError);
    expect(entry!.error).toMatchObject({ entry: 'secret.txt', reason: 'wrong-password', detail: 'the password is wrong' });
  });
});
