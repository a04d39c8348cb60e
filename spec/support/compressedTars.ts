import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * tar.xz, tar.bz2 and tar.zst archives for the specs, made for real: GNU tar writes the tar from
 * files written in the test, and the xz, bzip2 and zstd programs compress it.
 */

/** A compression around a tar, by its format name. */
export type Compression = 'tar.xz' | 'tar.bz2' | 'tar.zst';

/** A file to archive. */
export interface ArchivedFile {
  readonly name: string;
  readonly data: Uint8Array;
}

/** Options of {@link compressedTar}. */
export interface CompressedTarOptions {
  /**
   * Compress the tar in this many pieces, each its own stream (xz streams with stream padding
   * between them, bzip2 streams as `cat` joins them, zstd frames with a skippable frame between
   * them). Default: 1.
   */
  readonly streams?: number | undefined;
  /** Extra arguments for the compressor (`-1`, `--block-size=…`). */
  readonly compressorArgs?: readonly string[] | undefined;
}

/** Runs a program with `input` on its stdin and answers its stdout; fails on a non-zero exit. */
export function run(program: string, args: readonly string[], input?: Uint8Array): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`${program} ${args.join(' ')} exited ${code}: ${err}`))));
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

/** The command line that compresses stdin to stdout. */
export const compressor: Record<Compression, [string, string[]]> = {
  'tar.xz': ['xz', ['-c', '-T1']],
  'tar.bz2': ['bzip2', ['-c']],
  'tar.zst': ['zstd', ['-c', '-q']],
};

/** The bytes of a tar of `files` written by GNU tar, in order. */
export async function gnuTar(files: readonly ArchivedFile[]): Promise<Buffer> {
  const folder = await mkdtemp(join(process.env.TMPDIR ?? '/tmp', 'unspool-gnutar-'));
  try {
    for (const file of files) {
      await mkdir(dirname(join(folder, file.name)), { recursive: true });
      await writeFile(join(folder, file.name), file.data);
    }
    return await run('tar', ['--format=gnu', '--owner=0', '--group=0', '-cf', '-', '-C', folder, ...files.map((file) => file.name)]);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/** Compresses `bytes` as `compression` with its program, in one stream or several. */
export async function compress(bytes: Uint8Array, compression: Compression, options: CompressedTarOptions = {}): Promise<Buffer> {
  const [program, args] = compressor[compression];
  const streams = options.streams ?? 1;
  const piece = Math.ceil(bytes.length / streams);
  const parts: Buffer[] = [];
  for (let at = 0; at < bytes.length || parts.length === 0; at += piece) {
    if (parts.length > 0 && compression === 'tar.xz') parts.push(Buffer.alloc(8)); // stream padding
    if (parts.length > 0 && compression === 'tar.zst') parts.push(Buffer.from([0x5a, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3])); // a skippable frame
    parts.push(await run(program, [...args, ...(options.compressorArgs ?? [])], bytes.subarray(at, at + piece)));
  }
  return Buffer.concat(parts);
}

/** Writes the tar of `files`, compressed, at `path`, and answers the bytes written. */
export async function writeCompressedTar(path: string, files: readonly ArchivedFile[], compression: Compression, options: CompressedTarOptions = {}): Promise<Buffer> {
  const bytes = await compress(await gnuTar(files), compression, options);
  await writeFile(path, bytes);
  return bytes;
}
