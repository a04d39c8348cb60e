import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SendOptions } from '../../src/pipeline.js';
import { dirSink } from '../../src/sinks/dirSink.js';
import { CutShortError, type Decoder } from '../../src/sources/decodedStream.js';
import { inflate64 } from '../../src/sources/inflate64.js';
import { lzmaDecoder } from '../../src/sources/lzmaDecoder.js';
import { type HttpServer, startHttpServer } from '../support/httpServer.js';
import { runSend } from '../support/runSend.js';
import { jpegBytes, pseudoRandomBytes, sha256, textBytes } from '../support/sampleBytes.js';
import { type CompressedEntry, compressedZip, flipByte, sevenZipZip, type ZipFile, zipEntryPlaces } from '../support/sevenZipZips.js';
import { createWorkspace, deliveredDigests, filesUnder, removeWorkspace, type Workspace } from '../support/workspace.js';

/**
 * Data that makes each method use what sets it apart: a 40 KB random block three times (Deflate64
 * reaches it at distances past Deflate's 32 KiB, with codes 30 and 31), a run of 1 MB of zeros
 * (Deflate64's length code 285 with 16 extra bits; long LZMA matches), text, and random bytes.
 */
const block = pseudoRandomBytes(40_000, 'methods-block');
const mixed = Buffer.concat([block, block, textBytes(200_000, 'methods-text'), block, Buffer.alloc(1_000_000), pseudoRandomBytes(100_000, 'methods-tail')]);
const files: readonly ZipFile[] = [
  { name: 'mixed.bin', data: mixed },
  { name: 'notes.txt', data: textBytes(300_000, 'methods-notes') },
  { name: 'photo.jpg', data: jpegBytes(50_000, 'methods-photo') },
];

const digests = (entries: readonly ZipFile[]) =>
  entries.map(({ name, data }) => ({ entry: name, sha256: sha256(data) })).sort((a, b) => a.entry.localeCompare(b.entry));

/** The methods 7-Zip writes into a zip, by its switch, with the number APPNOTE gives each. */
const methods = [
  { switch: 'Deflate64', method: 9 },
  { switch: 'BZip2', method: 12 },
  { switch: 'LZMA', method: 14 },
  { switch: 'LZMA:eos', method: 14 },
  { switch: 'XZ', method: 95 },
] as const;

const zips = new Map<string, Buffer>();

/** `data` compressed by the zstd tool, one frame with its checksum. */
const zstd = (data: Uint8Array) => execFileSync('zstd', ['-q', '-c', '-3', '--check'], { input: data, maxBuffer: 64 * 1024 * 1024 });

beforeAll(async () => {
  for (const { switch: name } of methods) zips.set(name, await sevenZipZip(files, [`-mm=${name}`]));
  zips.set('PPMd', await sevenZipZip(files, ['-mm=PPMd']));
  zips.set('Deflate', await sevenZipZip(files.slice(0, 1), ['-mm=Deflate']));
  zips.set('Zstandard', compressedZip(files.map((file) => ({ name: file.name, method: 93, compressed: zstd(file.data), data: file.data }))));
}, 120_000);

const zip = (name: string) => zips.get(name)!;
const placeOf = (bytes: Buffer, name: string) => zipEntryPlaces(bytes).find((entry) => entry.name === name)!;

/** Every chunk a decoder yields for `chunks` of input, joined. */
async function decodeAll(decode: Decoder, chunks: readonly Uint8Array[]): Promise<Buffer> {
  const out: Uint8Array[] = [];
  for await (const chunk of decode(chunks)) out.push(Buffer.from(chunk));
  return Buffer.concat(out);
}

describe('zip compression methods', () => {
  let workspace: Workspace;
  let archive: string;

  beforeEach(async () => {
    workspace = await createWorkspace();
    archive = join(workspace.root, 'methods.zip');
  });

  afterEach(async () => {
    await removeWorkspace(workspace);
  });

  const send = async (bytes: Buffer, options: Partial<SendOptions> = {}) => {
    await writeFile(archive, bytes);
    return runSend(archive, { sink: await dirSink(workspace.out), state: workspace.state, ...options });
  };

  it.each(methods)('delivers byte for byte what 7-Zip compressed with $switch (method $method)', async ({ switch: name, method }) => {
    expect(placeOf(zip(name), 'mixed.bin').method).toBe(method);
    expect(placeOf(zip(name), 'notes.txt').method).toBe(method);
    if (name === 'LZMA:eos') expect(placeOf(zip(name), 'mixed.bin').flags & 0x02).toBe(0x02);
    const { summary } = await send(zip(name));
    expect(summary).toMatchObject({ delivered: 3, skipped: [], failed: [] });
    expect(await deliveredDigests(workspace.out)).toEqual(digests(files));
  });

  it('reaches 40 KB back with Deflate64, as Deflate cannot: the repeated block is matched, not stored again', () => {
    const deflate64 = placeOf(zip('Deflate64'), 'mixed.bin').compressedSize;
    const deflate = placeOf(zip('Deflate'), 'mixed.bin').compressedSize;
    expect(deflate - deflate64).toBeGreaterThan(30_000);
  });

  it('delivers byte for byte Zstandard (method 93) data that the zstd tool compressed', async () => {
    const { summary } = await send(zip('Zstandard'));
    expect(summary).toMatchObject({ delivered: 3, skipped: [], failed: [] });
    expect(await deliveredDigests(workspace.out)).toEqual(digests(files));
  });

  it('skips PPMd entries as unsupported-method, naming it, and delivers the rest', async () => {
    const ppmd = zipEntryPlaces(zip('PPMd')).filter((entry) => entry.method === 98);
    expect(ppmd.map(({ name }) => name).sort()).toEqual(['mixed.bin', 'notes.txt']);
    const { summary } = await send(zip('PPMd'));
    expect(summary.skipped).toEqual(
      ppmd.map(({ name }) => ({ entry: name, reason: 'unsupported-method', detail: 'compressed with PPMd, which unspool cannot decompress' })),
    );
    expect(summary.failed).toEqual([]);
    expect(await deliveredDigests(workspace.out)).toEqual(digests(files.filter(({ name }) => name === 'photo.jpg')));
  });

  it('skips a method APPNOTE does not list as unsupported-method, by its number', async () => {
    const data = textBytes(1_000, 'odd');
    const { summary } = await send(compressedZip([{ name: 'odd.txt', method: 42, compressed: data, data }, { name: 'plain.txt', method: 0, compressed: data, data }]));
    expect(summary.skipped).toEqual([{ entry: 'odd.txt', reason: 'unsupported-method', detail: 'compressed with method 42, which unspool cannot decompress' }]);
    expect(summary.delivered).toBe(1);
  });

  it.each([...methods.map(({ switch: name }) => name), 'Zstandard'])('fails a %s entry whose data is altered, delivering the others', async (name) => {
    const place = placeOf(zip(name), 'mixed.bin');
    const { summary } = await send(flipByte(zip(name), place.data + Math.floor(place.compressedSize / 3)));
    expect(summary.failed).toEqual([{ entry: 'mixed.bin', reason: expect.stringMatching(/^(corrupt|crc-mismatch|size-mismatch)$/), detail: expect.any(String) }]);
    expect((await deliveredDigests(workspace.out)).map(({ entry }) => entry)).toEqual(['notes.txt', 'photo.jpg']);
    expect(await filesUnder(join(workspace.state, 'tmp'))).toEqual([]);
  });

  it.each([...methods.map(({ switch: name }) => name), 'Zstandard'])('fails a %s entry whose data is cut short as truncated', async (name) => {
    const place = placeOf(zip(name), 'notes.txt');
    const whole = zip(name).subarray(place.data, place.data + place.compressedSize);
    const notes = files[1]!;
    const half = whole.subarray(0, Math.floor(whole.length / 2));
    const cut: CompressedEntry = { name: notes.name, method: place.method, compressed: half, data: notes.data, flags: place.flags & 0x02 };
    const { summary } = await send(compressedZip([cut]));
    expect(summary.failed).toEqual([{ entry: 'notes.txt', reason: 'truncated', detail: expect.any(String) }]);
  });

  describe('over HTTP', () => {
    let server: HttpServer;

    afterEach(async () => {
      await server.close();
    });

    it('delivers every method byte for byte from archives read by ranges', async () => {
      server = await startHttpServer();
      for (const name of [...methods.map(({ switch: method }) => method), 'Zstandard']) {
        const served = await createWorkspace();
        try {
          server.serve(`/${name}.zip`, zip(name));
          const { summary } = await runSend(server.url(`/${name}.zip`), { sink: await dirSink(served.out), state: served.state });
          expect(summary, name).toMatchObject({ delivered: 3, failed: [] });
          expect(await deliveredDigests(served.out), name).toEqual(digests(files));
        } finally {
          await removeWorkspace(served);
        }
      }
      expect(server.log.some((request) => request.range !== undefined)).toBe(true);
    });
  });
});

describe('inflate64 and the LZMA decoder', () => {
  /** An entry's compressed bytes in a 7-Zip zip. */
  const compressed = (zipName: string, entry: string) => {
    const place = placeOf(zip(zipName), entry);
    return zip(zipName).subarray(place.data, place.data + place.compressedSize);
  };
  /** Bytes in pieces of `size`. */
  const pieces = (bytes: Uint8Array, size: number) => Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size));

  it('decode the same bytes whatever the input chunks, down to one byte at a time', async () => {
    const deflate64 = compressed('Deflate64', 'mixed.bin');
    const lzma = compressed('LZMA', 'mixed.bin');
    for (const size of [1, 7, 4_096, 1_000_000]) {
      expect((await decodeAll(inflate64, pieces(deflate64, size))).equals(mixed), `Deflate64 in ${size}-byte chunks`).toBe(true);
      expect((await decodeAll(lzmaDecoder(mixed.length, false), pieces(lzma, size))).equals(mixed), `LZMA in ${size}-byte chunks`).toBe(true);
    }
  });

  it('yield chunks of at most 256 KiB and one match', async () => {
    const sizes: number[] = [];
    for await (const chunk of inflate64([compressed('Deflate64', 'mixed.bin')])) sizes.push(chunk.length);
    for await (const chunk of lzmaDecoder(mixed.length, true)([compressed('LZMA:eos', 'mixed.bin')])) sizes.push(chunk.length);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(256 * 1024 + 65_538);
  });

  it('throw CutShortError when the input ends inside the stream', async () => {
    for (const cut of [1, 10, 0.5, -1]) {
      const deflate64 = compressed('Deflate64', 'mixed.bin');
      const lzma = compressed('LZMA', 'mixed.bin');
      const at = (bytes: Uint8Array) => (cut === 0.5 ? Math.floor(bytes.length / 2) : cut < 0 ? bytes.length + cut : cut);
      await expect(decodeAll(inflate64, [deflate64.subarray(0, at(deflate64))]), `Deflate64 cut at ${cut}`).rejects.toBeInstanceOf(CutShortError);
      await expect(decodeAll(lzmaDecoder(mixed.length, false), [lzma.subarray(0, at(lzma))]), `LZMA cut at ${cut}`).rejects.toBeInstanceOf(CutShortError);
    }
  });
});
