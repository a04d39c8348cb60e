import { writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';

/**
 * Tar and tar.gz archives for the integration specs, written for real with tar-stream's `pack()`.
 * Names over 100 bytes (or not ASCII) get a pax header from tar-stream, as GNU and bsdtar write.
 */

/** A file, directory or link for {@link tarBytes}. */
export type TarItem =
  | { readonly name: string; readonly data: Uint8Array | string }
  | { readonly name: string; readonly type: 'directory' }
  /** `symlink` is a symbolic link; `link` a hard link to an earlier entry. */
  | { readonly name: string; readonly type: 'symlink' | 'link'; readonly linkname: string };

/** The bytes of a tar archive holding `items`, in order. */
export async function tarBytes(items: readonly TarItem[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const chunk of pack) chunks.push(chunk as Buffer);
  })();
  const mtime = new Date('2024-01-01T12:00:00Z');
  for (const item of items) {
    await new Promise<void>((resolve, reject) => {
      const done = (error?: Error | null) => (error ? reject(error) : resolve());
      if ('data' in item) pack.entry({ name: item.name, mtime, mode: 0o644 }, Buffer.from(item.data), done);
      else if (item.type === 'directory') pack.entry({ name: item.name, type: 'directory', mtime, mode: 0o755 }, done);
      else pack.entry({ name: item.name, type: item.type, linkname: item.linkname, mtime, mode: 0o777 }, done);
    });
  }
  pack.finalize();
  await collected;
  return Buffer.concat(chunks);
}

/** Writes a tar archive and returns its bytes. */
export async function writeTar(path: string, items: readonly TarItem[]): Promise<Buffer> {
  const bytes = await tarBytes(items);
  await writeFile(path, bytes);
  return bytes;
}

/** Options of {@link writeTarGz}. */
export interface TarGzOptions {
  /** Keep only this many bytes of the gzip file, as a download cut off part way. */
  readonly truncateTo?: number;
}

/** Writes a gzip-compressed tar archive and returns the bytes written. */
export async function writeTarGz(path: string, items: readonly TarItem[], options: TarGzOptions = {}): Promise<Buffer> {
  const whole = gzipSync(await tarBytes(items));
  const bytes = whole.subarray(0, options.truncateTo ?? whole.length);
  await writeFile(path, bytes);
  return bytes;
}
