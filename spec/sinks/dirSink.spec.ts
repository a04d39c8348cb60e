import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, from } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dirSink, type AlbumJson } from '../../src/sinks/dirSink.js';
import type { Album, Receipt } from '../../src/step.js';
import { testEntry } from '../support/steps.js';

describe('dirSink', () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'unspool-dirsink-'));
    await mkdir(join(root, 'tmp'));
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function albumWith(id: string, names: string[]): Promise<Album> {
    const files = await Promise.all(
      names.map(async (name, index) => {
        const path = join(root, 'tmp', `${id}-${index}.part`);
        await writeFile(path, `bytes of ${name}`);
        return { entry: testEntry(index, name), path, size: 9 + name.length, media: 'document' as const };
      }),
    );
    return { id, group: 'document', files };
  }

  const deliver = async (sink: Awaited<ReturnType<typeof dirSink>>, album: Album): Promise<Receipt> =>
    firstValueFrom(from(sink.deliver(album, new AbortController().signal)));

  it('writes each album into a numbered folder with its files and album.json', async () => {
    const sink = await dirSink(join(root, 'out'));
    await deliver(sink, await albumWith('a1', ['docs/a.txt', '../b.txt']));
    await deliver(sink, await albumWith('a2', ['c.txt']));
    expect(await readdir(join(root, 'out'))).toEqual(['000001', '000002']);
    const json = JSON.parse(await readFile(join(root, 'out', '000001', 'album.json'), 'utf8')) as AlbumJson;
    expect(json.id).toBe('a1');
    expect(json.items).toEqual([
      { entry: 'docs/a.txt', file: 'a.txt', type: 'document' },
      { entry: '../b.txt', file: 'b.txt', type: 'document' },
    ]);
    expect(await readFile(join(root, 'out', '000001', 'b.txt'), 'utf8')).toBe('bytes of ../b.txt');
  });

  it('treats a second delivery of the same album id as done, also after reopening', async () => {
    const album = await albumWith('same', ['a.txt']);
    const first = await deliver(await dirSink(join(root, 'out')), album);
    const again = await deliver(await dirSink(join(root, 'out')), album);
    expect(again).toEqual(first);
    expect(await readdir(join(root, 'out'))).toEqual(['000001']);
  });

  it('removes partial albums left by a dead run when it opens', async () => {
    await mkdir(join(root, 'out', '.partial-dead'), { recursive: true });
    await writeFile(join(root, 'out', '.partial-dead', 'x.jpg'), 'half');
    await dirSink(join(root, 'out'));
    expect(await readdir(join(root, 'out'))).toEqual([]);
  });

  it('numbers on after the albums already in the folder', async () => {
    await mkdir(join(root, 'out', '000007'), { recursive: true });
    const sink = await dirSink(join(root, 'out'));
    await deliver(sink, await albumWith('next', ['a.txt']));
    expect((await readdir(join(root, 'out'))).sort()).toEqual(['000007', '000008']);
  });

  it('leaves the temp files in place if the album cannot be written, so an attempt can be made again', async () => {
    const sink = await dirSink(join(root, 'out'));
    const album = await albumWith('gone', ['a.txt']);
    await rm(join(root, 'out'), { recursive: true });
    await writeFile(join(root, 'out'), 'a file where the folder was');
    await expect(deliver(sink, album)).rejects.toMatchObject({ name: 'SinkError', reason: 'write-error' });
    expect(await readFile(album.files[0]!.path, 'utf8')).toBe('bytes of a.txt');
  });

  it('stops an album when aborted and leaves no partial folder', async () => {
    const sink = await dirSink(join(root, 'out'));
    const aborter = new AbortController();
    aborter.abort();
    await expect(firstValueFrom(from(sink.deliver(await albumWith('x', ['a.txt']), aborter.signal)))).rejects.toBeTruthy();
    expect(await readdir(join(root, 'out'))).toEqual([]);
  });
});
