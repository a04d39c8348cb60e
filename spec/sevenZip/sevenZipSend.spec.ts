import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PasswordNeededError } from '../../src/errors.js';
import { dirSink } from '../../src/sinks/dirSink.js';
import { runSend } from '../support/runSend.js';
import { jpegBytes, mp4Bytes, pseudoRandomBytes, sha256, textBytes } from '../support/sampleBytes.js';
import { createWorkspace, deliveredDigests, removeWorkspace, type Workspace } from '../support/workspace.js';
import { type ArchivedFile, writeSevenZip } from './sevenZipFixtures.js';

/** Photos, a video, text that compresses and bytes that do not, a Unicode name, an empty file and folder. */
const content: ArchivedFile[] = [
  { name: 'photos/IMG_0001.jpg', data: jpegBytes(40_000, 'one') },
  { name: 'photos/IMG_0002.jpg', data: jpegBytes(30_000, 'two') },
  { name: 'clips/holiday.mp4', data: mp4Bytes(60_000, 'clip') },
  { name: 'notes/журнал 📷.txt', data: textBytes(50_000, 'notes') },
  { name: 'notes/noise.bin', data: pseudoRandomBytes(20_000, 'noise') },
  { name: 'notes/empty.txt', data: new Uint8Array() },
  { name: 'nothing here/' },
];

/** What a full delivery of `files` is: every non-empty file, by name and digest. */
const expected = (files: readonly ArchivedFile[]) =>
  files
    .filter((file) => file.data && file.data.length > 0)
    .map((file) => ({ entry: file.name, sha256: sha256(file.data!) }))
    .sort((a, b) => a.entry.localeCompare(b.entry));

describe('7z archives through send()', () => {
  let workspace: Workspace;

  beforeEach(async () => {
    workspace = await createWorkspace();
  });

  afterEach(async () => {
    await removeWorkspace(workspace);
  });

  async function send(archive: string, password?: string) {
    return runSend(archive, { sink: await dirSink(workspace.out), state: workspace.state, password });
  }

  async function archive(switches: string[], files = content): Promise<string> {
    const [file] = await writeSevenZip(workspace.root, 'media.7z', files, switches);
    return file!;
  }

  const methods = [
    ['solid LZMA2', ['-ms=on']],
    ['non-solid LZMA2', ['-ms=off']],
    ['LZMA', ['-m0=LZMA']],
    ['PPMd', ['-m0=PPMd']],
    ['BZip2', ['-m0=BZip2']],
    ['Deflate', ['-m0=Deflate']],
    ['Copy', ['-m0=Copy']],
    ['BCJ + LZMA2', ['-mf=BCJ']],
    // BCJ2: 7z-wasm's encoder aborts on it; sevenZipBcj2.spec.ts reads an archive a native 7-Zip wrote.
    ['Delta + LZMA2', ['-mf=Delta:4']],
    ['ARM + LZMA', ['-mf=ARM', '-m0=LZMA']],
  ] as const;

  it.each(methods)('delivers every file of a %s archive byte for byte, and skips the empty file and the folders', async (_label, switches) => {
    const { summary } = await send(await archive([...switches]));
    expect(await deliveredDigests(workspace.out)).toEqual(expected(content));
    expect(summary.entries).toBe(content.length + 3);
    expect(summary.skipped.map((item) => `${item.entry}:${item.reason}`).sort()).toEqual(['notes/empty.txt:empty']);
    expect(summary.failed).toEqual([]);
  });

  it('delivers two items of one name (7-Zip allows them) as two files, each with its own bytes', async () => {
    const files: ArchivedFile[] = [
      { name: 'DCIM/a.jpg', data: jpegBytes(20_000, 'first') },
      { name: 'DCIM/b.jpg', data: jpegBytes(25_000, 'second') },
      { name: 'DCIM/c.jpg', data: jpegBytes(30_000, 'third') },
    ];
    for (const switches of [['-ms=on'], ['-ms=off']]) {
      const [file] = await writeSevenZip(workspace.root, 'twins.7z', files, switches, [['DCIM/a.jpg', 'DCIM/b.jpg']]);
      await rm(workspace.out, { recursive: true, force: true });
      await rm(workspace.state, { recursive: true, force: true });
      const { summary } = await send(file!);
      expect(summary).toMatchObject({ entries: 4, delivered: 3, directories: 1, failed: [], skipped: [] });
      const digests = await deliveredDigests(workspace.out);
      expect(digests.map((item) => item.entry)).toEqual(['DCIM/b.jpg', 'DCIM/b.jpg', 'DCIM/c.jpg']);
      expect(new Set(digests.map((item) => item.sha256))).toEqual(new Set(files.map((item) => sha256(item.data!))));
    }
  });

  describe('with AES-encrypted data (names in clear)', () => {
    it('delivers every file with the right password', async () => {
      const { summary } = await send(await archive(['-pSecret']), 'Secret');
      expect(await deliveredDigests(workspace.out)).toEqual(expected(content));
      expect(summary.failed).toEqual([]);
    });

    it('skips every file as encrypted without a password', async () => {
      const { summary } = await send(await archive(['-pSecret']));
      expect(await deliveredDigests(workspace.out)).toEqual([]);
      expect(new Set(summary.skipped.filter((item) => item.entry !== 'notes/empty.txt').map((item) => item.reason))).toEqual(new Set(['encrypted']));
    });

    it('fails every file as wrong-password with a wrong one', async () => {
      const { summary } = await send(await archive(['-pSecret', '-ms=off']), 'Wrong');
      expect(await deliveredDigests(workspace.out)).toEqual([]);
      expect(summary.failed.map((item) => item.reason)).toEqual(expected(content).map(() => 'wrong-password'));
    });
  });

  describe('with encrypted names (-mhe=on)', () => {
    it('delivers every file with the right password', async () => {
      await send(await archive(['-pSecret', '-mhe=on']), 'Secret');
      expect(await deliveredDigests(workspace.out)).toEqual(expected(content));
    });

    it('refuses to open without a password, asking for one', async () => {
      const error = await send(await archive(['-pSecret', '-mhe=on'])).catch((error: unknown) => error);
      expect(error).toBeInstanceOf(PasswordNeededError);
      expect((error as PasswordNeededError).given).toBe(false);
      expect((error as Error).message).toMatch(/password/);
    });

    it('refuses to open with a wrong password, saying it is wrong', async () => {
      const error = await send(await archive(['-pSecret', '-mhe=on']), 'Wrong').catch((error: unknown) => error);
      expect(error).toBeInstanceOf(PasswordNeededError);
      expect((error as PasswordNeededError).given).toBe(true);
      expect((error as Error).message).toMatch(/wrong password/);
    });
  });

  it('fails the file whose stored byte is flipped, and delivers nothing wrong', async () => {
    // Copy stores the bytes as they are: the flipped byte reaches the output, and only the CRC tells.
    const file = await archive(['-m0=Copy', '-ms=off']);
    const bytes = await readFile(file);
    const noise = content.find((entry) => entry.name === 'notes/noise.bin')!.data!;
    const at = bytes.indexOf(Buffer.from(noise.subarray(5_000, 5_032)));
    expect(at).toBeGreaterThan(0);
    bytes[at] = bytes[at]! ^ 0xff;
    await writeFile(file, bytes);
    const { summary } = await send(file);
    expect(summary.failed.map((item) => `${item.entry}:${item.reason}`)).toEqual(['notes/noise.bin:crc-mismatch']);
    expect(await deliveredDigests(workspace.out)).toEqual(expected(content).filter((entry) => entry.entry !== 'notes/noise.bin'));
  });

  it('refuses an archive cut short, whose headers at its end are gone', async () => {
    const file = await archive(['-ms=off']);
    const bytes = await readFile(file);
    await writeFile(file, bytes.subarray(0, bytes.length - 200));
    await expect(send(file)).rejects.toThrow(/not a readable 7z archive/);
  });

  it('reads a copy with a different name (7-Zip tells the format by the bytes)', async () => {
    const file = await archive(['-ms=on']);
    const renamed = join(workspace.root, 'holiday.bin');
    await writeFile(renamed, await readFile(file));
    await send(renamed);
    expect(await deliveredDigests(workspace.out)).toEqual(expected(content));
  });
});
