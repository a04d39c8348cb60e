import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SendOptions } from '../../src/pipeline.js';
import { dirSink } from '../../src/sinks/dirSink.js';
import { AuthenticationError, winZipAesDecryption, winZipAesField } from '../../src/sources/zipAes.js';
import { WrongPasswordError } from '../../src/sources/zipCrypto.js';
import { type HttpServer, startHttpServer } from '../support/httpServer.js';
import { runSend } from '../support/runSend.js';
import { jpegBytes, pseudoRandomBytes, sha256, textBytes } from '../support/sampleBytes.js';
import { aesVersions, flipByte, sevenZipZip, withAesVersion, type ZipFile, zipEntryPlaces } from '../support/sevenZipZips.js';
import { createWorkspace, deliveredDigests, filesUnder, removeWorkspace, type Workspace } from '../support/workspace.js';

const password = 'correct horse';

/**
 * A photo (incompressible: 7-Zip stores it), a text (deflated), and one of 1.5 MB: its keystream
 * runs far past block 255, where a big-endian counter would part from WinZip's little-endian one.
 */
const files: readonly ZipFile[] = [
  { name: 'photo.jpg', data: jpegBytes(70_000, 'aes-photo') },
  { name: 'notes.txt', data: textBytes(300_000, 'aes-notes') },
  { name: 'big.bin', data: pseudoRandomBytes(1_500_000, 'aes-big') },
];
const crcs = new Map(files.map((file) => [file.name, crc32(file.data)]));

/** The order 7-Zip writes them in: by name. */
const inZipOrder = [...files].sort((a, b) => a.name.localeCompare(b.name));

const digests = (entries: readonly ZipFile[]) =>
  entries.map(({ name, data }) => ({ entry: name, sha256: sha256(data) })).sort((a, b) => a.entry.localeCompare(b.entry));

/** The zips 7-Zip writes, made once: one per key length. */
const zips = new Map<string, Buffer>();
const strengths = ['AES128', 'AES192', 'AES256'] as const;

beforeAll(async () => {
  for (const strength of strengths) zips.set(strength, await sevenZipZip(files, [`-mem=${strength}`, `-p${password}`]));
  zips.set('xz', await sevenZipZip(files.slice(1, 2), ['-mem=AES256', '-mm=XZ', `-p${password}`]));
  zips.set('bzip2', await sevenZipZip(files.slice(1, 2), ['-mem=AES128', '-mm=BZip2', `-p${password}`]));
}, 60_000);

const zip = (name: string) => zips.get(name)!;

describe('WinZip AES entries', () => {
  let workspace: Workspace;
  let archive: string;

  beforeEach(async () => {
    workspace = await createWorkspace();
    archive = join(workspace.root, 'aes.zip');
  });

  afterEach(async () => {
    await removeWorkspace(workspace);
  });

  const send = async (bytes: Buffer, options: Partial<SendOptions> = {}) => {
    await writeFile(archive, bytes);
    return runSend(archive, { sink: await dirSink(workspace.out), state: workspace.state, ...options });
  };

  it('are written by 7-Zip as AE-2, with the key length asked for and the real method inside', () => {
    expect([...aesVersions(zip('AES256')).values()]).toEqual([2, 2, 2]);
    const fieldOf = (bytes: Buffer, name: string) => {
      const place = zipEntryPlaces(bytes).find((entry) => entry.name === name)!;
      return winZipAesField(bytes.subarray(place.local + 30 + name.length, place.data));
    };
    expect(fieldOf(zip('AES128'), 'notes.txt')).toEqual({ version: 2, keyLength: 16, method: 8 });
    expect(fieldOf(zip('AES192'), 'photo.jpg')).toEqual({ version: 2, keyLength: 24, method: 0 });
    expect(fieldOf(zip('xz'), 'notes.txt')).toEqual({ version: 2, keyLength: 32, method: 95 });
  });

  it.each(strengths)('are delivered byte for byte with the password, %s, stored and deflated', async (strength) => {
    const { summary } = await send(zip(strength), { password });
    expect(summary).toMatchObject({ delivered: 3, skipped: [], failed: [] });
    expect(await deliveredDigests(workspace.out)).toEqual(digests(files));
  });

  it('are decompressed after decryption with the method of their 0x9901 field: XZ and BZip2', async () => {
    for (const name of ['xz', 'bzip2']) {
      await removeWorkspace(workspace);
      workspace = await createWorkspace();
      archive = join(workspace.root, 'aes.zip');
      const { summary } = await send(zip(name), { password });
      expect(summary, name).toMatchObject({ delivered: 1, failed: [] });
      expect(await deliveredDigests(workspace.out)).toEqual(digests(files.slice(1, 2)));
    }
  });

  it('are read as AE-1, whose CRC-32 is checked: a wrong one fails the entry as corrupt (the password was right)', async () => {
    const ae1 = withAesVersion(zip('AES256'), 1, crcs);
    expect([...aesVersions(ae1).values()]).toEqual([1, 1, 1]);
    const { summary } = await send(ae1, { password });
    expect(summary).toMatchObject({ delivered: 3, failed: [] });
    expect(await deliveredDigests(workspace.out)).toEqual(digests(files));

    await removeWorkspace(workspace);
    workspace = await createWorkspace();
    archive = join(workspace.root, 'aes.zip');
    const wrongCrc = withAesVersion(zip('AES256'), 1, new Map([['notes.txt', 0x12345678]]));
    const second = await send(wrongCrc, { password });
    expect(second.summary.failed).toEqual([
      { entry: 'notes.txt', reason: 'corrupt', detail: expect.stringMatching(/does not match the declared 12345678, though the AES authentication code does/) },
    ]);
    expect((await deliveredDigests(workspace.out)).map(({ entry }) => entry)).toEqual(['big.bin', 'photo.jpg']);
  });

  it('are read as AE-2 without looking at the CRC-32 field, which AE-2 leaves 0', async () => {
    const junkCrcs = new Map(files.map((file) => [file.name, 0xdeadbeef]));
    const { summary } = await send(withAesVersion(zip('AES128'), 2, junkCrcs), { password });
    expect(summary).toMatchObject({ delivered: 3, failed: [] });
    expect(await deliveredDigests(workspace.out)).toEqual(digests(files));
  });

  it('fail as wrong-password with a wrong password, and write nothing', async () => {
    const { summary } = await send(zip('AES192'), { password: 'incorrect horse' });
    expect(summary.failed).toEqual(inZipOrder.map(({ name }) => ({ entry: name, reason: 'wrong-password', detail: 'the password is wrong' })));
    expect(await filesUnder(workspace.out)).toEqual([]);
    expect(await filesUnder(join(workspace.state, 'tmp'))).toEqual([]);
  });

  it('are skipped as encrypted without a password, and delivered when run again with it', async () => {
    const first = await send(zip('AES256'));
    expect(first.summary.skipped).toEqual(
      inZipOrder.map(({ name }) => ({ entry: name, reason: 'encrypted', detail: 'password-protected; give --password (or /pass to the bot)' })),
    );
    const second = await send(zip('AES256'), { password });
    expect(second.summary).toMatchObject({ delivered: 3, skipped: [], failed: [] });
    expect(await deliveredDigests(workspace.out)).toEqual(digests(files));
  });

  it('fail as corrupt, and are not delivered, when a byte of their encrypted data is altered', async () => {
    const place = zipEntryPlaces(zip('AES256')).find((entry) => entry.name === 'big.bin')!;
    // Past the 16-byte salt and the verifier, in the middle of the data: only the HMAC can tell.
    const tampered = flipByte(zip('AES256'), place.data + 18 + 700_000);
    const { summary } = await send(tampered, { password });
    expect(summary.failed).toEqual([{ entry: 'big.bin', reason: 'corrupt', detail: expect.stringMatching(/authentication code does not match/) }]);
    expect((await deliveredDigests(workspace.out)).map(({ entry }) => entry)).toEqual(['notes.txt', 'photo.jpg']);
    expect(await filesUnder(join(workspace.state, 'tmp'))).toEqual([]);
  });

  it('fail as corrupt when their authentication code is altered, though every byte of data is right, stored or compressed', async () => {
    let tampered = zip('AES128');
    for (const name of ['photo.jpg', 'notes.txt']) {
      const place = zipEntryPlaces(tampered).find((entry) => entry.name === name)!;
      tampered = flipByte(tampered, place.data + place.compressedSize - 1);
    }
    const { summary } = await send(tampered, { password });
    const failed = (entry: string) => ({ entry, reason: 'corrupt', detail: expect.stringMatching(/authentication code does not match/) });
    expect(summary.failed).toEqual([failed('notes.txt'), failed('photo.jpg')]);
    expect((await deliveredDigests(workspace.out)).map(({ entry }) => entry)).toEqual(['big.bin']);
  });

  describe('over HTTP', () => {
    let server: HttpServer;

    afterEach(async () => {
      await server.close();
    });

    it('are delivered byte for byte from an archive read by ranges', async () => {
      server = await startHttpServer();
      server.serve('/aes.zip', zip('AES256'));
      const { summary } = await runSend(server.url('/aes.zip'), { sink: await dirSink(workspace.out), state: workspace.state, password });
      expect(summary).toMatchObject({ delivered: 3, failed: [] });
      expect(await deliveredDigests(workspace.out)).toEqual(digests(files));
      expect(server.log.some((request) => request.range !== undefined)).toBe(true);
    });
  });
});

describe('winZipAesDecryption', () => {
  /** The data of one 7-Zip entry: salt, verifier, encrypted data, authentication code. */
  const entryData = (name: string) => {
    const bytes = zip('AES256');
    const place = zipEntryPlaces(bytes).find((entry) => entry.name === name)!;
    return bytes.subarray(place.data, place.data + place.compressedSize);
  };

  async function decrypt(chunks: readonly Buffer[], secret = password): Promise<Buffer> {
    const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
    const out: Buffer[] = [];
    for await (const chunk of Readable.from(chunks).pipe(winZipAesDecryption(secret, 32, total))) out.push(chunk as Buffer);
    return Buffer.concat(out);
  }

  it('decrypts the same bytes whatever the chunk boundaries, in the header, the data and the code', async () => {
    const data = entryData('photo.jpg');
    const plain = files[0]!.data;
    for (const cut of [1, 5, 17, 18, 19, 4_096, data.length - 11, data.length - 10, data.length - 3]) {
      expect((await decrypt([data.subarray(0, cut), data.subarray(cut)])).equals(plain), `cut at ${cut}`).toBe(true);
    }
    const bytewise = Array.from({ length: 300 }, (_, i) => data.subarray(i, i + 1));
    expect((await decrypt([...bytewise, data.subarray(300)])).equals(plain)).toBe(true);
  });

  it('errors with WrongPasswordError on a verifier that is not the password\'s, and AuthenticationError on a wrong code', async () => {
    const data = entryData('photo.jpg');
    await expect(decrypt([data], 'open sesame')).rejects.toBeInstanceOf(WrongPasswordError);
    await expect(decrypt([flipByte(data, data.length - 5)])).rejects.toBeInstanceOf(AuthenticationError);
  });

  it('errors as the archive ending when the data stops short, not as a failed authentication', async () => {
    const data = entryData('photo.jpg');
    const out: Buffer[] = [];
    const cut = Readable.from([data.subarray(0, 1_000)]).pipe(winZipAesDecryption(password, 32, data.length));
    await expect(async () => {
      for await (const chunk of cut) out.push(chunk as Buffer);
    }).rejects.toThrow(/^unexpected end of the archive/);
  });
});
