import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { crc32 } from '../../src/crc32.js';
import { ArchiveError } from '../../src/errors.js';
import { dirSink } from '../../src/sinks/dirSink.js';
import { runCli, sendArgs } from '../support/runCli.js';
import { runSend } from '../support/runSend.js';
import { jpegBytes } from '../support/sampleBytes.js';
import { createWorkspace, removeWorkspace, type Workspace } from '../support/workspace.js';
import { writeSevenZip } from './sevenZipFixtures.js';

/**
 * Sets the LZMA2 dictionary a 7z's header declares to `property` (40: 4 GiB − 1, the largest;
 * 7-Zip's Lzma2Dec.c) and signs the header again. The archive must be written with `-mhc=off`
 * (a plain header) and one LZMA2 coder: no 7-Zip here can write a real archive with a dictionary
 * that large (encoding it needs ten times the memory), but a reader must refuse one before it
 * asks the 2 GiB WebAssembly heap for it.
 *
 * The start header (7zFormat.txt): signature, version, then the CRC-32 of the 20 bytes after it
 * (next header offset, size and CRC-32); the next header is at 32 + its offset.
 */
function withDictionary(archive: Buffer, property: number): Buffer {
  const patched = Buffer.from(archive);
  const offset = Number(patched.readBigUInt64LE(12));
  const size = Number(patched.readBigUInt64LE(20));
  const header = patched.subarray(32 + offset, 32 + offset + size);
  // A coder: flags 0x21 (one-byte id, has properties), id 0x21 (LZMA2), one byte of properties.
  const coder = header.indexOf(Buffer.from([0x21, 0x21, 0x01]));
  if (coder < 0) throw new Error('no LZMA2 coder in a plain header: was the archive written with -mhc=off?');
  header[coder + 3] = property;
  patched.writeUInt32LE(crc32(header), 28);
  patched.writeUInt32LE(crc32(patched.subarray(12, 32)), 8);
  return patched;
}

describe('a 7z whose dictionary is too large to decode here', () => {
  let workspace: Workspace;
  let archive: string;

  beforeEach(async () => {
    workspace = await createWorkspace();
    const [written] = await writeSevenZip(workspace.root, 'plain.7z', [{ name: 'DCIM/IMG_1.jpg', data: jpegBytes(20_000, 'one') }], ['-mhc=off', '-m0=LZMA2']);
    archive = join(workspace.root, 'huge-dictionary.7z');
    await writeFile(archive, withDictionary(await readFile(written!), 40));
  });

  afterEach(async () => {
    await removeWorkspace(workspace);
  });

  it('is refused when opened, naming the dictionary and the limit, before anything is decoded', async () => {
    const error = await runSend(archive, { sink: await dirSink(workspace.out), state: workspace.state }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ArchiveError);
    expect((error as Error).message).toMatch(/huge-dictionary\.7z: its dictionary of 4096 MiB is too large to decode here \(at most 1536 MiB\)/);
  });

  it('makes the CLI exit 3 with one line naming the archive, leaving the temp folder empty', async () => {
    const result = await runCli(sendArgs(archive, workspace.out, workspace.state), { timeout: 60_000 });
    expect(result.code).toBe(3);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/huge-dictionary\.7z.*dictionary of 4096 MiB/);
    expect(await readdir(join(workspace.state, 'tmp')).catch(() => [])).toEqual([]);
  });

  it('is not refused for the property it had: the patch itself leaves a readable archive', async () => {
    const original = await readFile(archive);
    const [written] = await writeSevenZip(workspace.root, 'again.7z', [{ name: 'DCIM/IMG_1.jpg', data: jpegBytes(20_000, 'one') }], ['-mhc=off', '-m0=LZMA2']);
    const plain = await readFile(written!);
    const offset = Number(plain.readBigUInt64LE(12));
    const header = plain.subarray(32 + offset);
    const property = header[header.indexOf(Buffer.from([0x21, 0x21, 0x01])) + 3]!;
    const restored = join(workspace.root, 'restored.7z');
    await writeFile(restored, withDictionary(original, property));
    const { summary } = await runSend(restored, { sink: await dirSink(workspace.out), state: workspace.state });
    expect(summary.failed).toEqual([]);
    expect(summary.delivered).toBe(1);
  });
});
