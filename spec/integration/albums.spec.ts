import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dirSink } from '../../src/sinks/dirSink.js';
import { runSend } from '../support/runSend.js';
import { jpegBytes, mp3Bytes, mp4Bytes, sha256, textBytes } from '../support/sampleBytes.js';
import { albumEntries, createWorkspace, deliveredFiles, readAlbums, removeWorkspace, type Workspace } from '../support/workspace.js';
import { writeZip } from '../support/zipFixtures.js';

const photo = (name: string) => ({ name, data: jpegBytes(2_000, name) });
const video = (name: string) => ({ name, data: mp4Bytes(3_000, name) });
const audio = (name: string) => ({ name, data: mp3Bytes(1_500, name) });
const document = (name: string) => ({ name, data: textBytes(1_000, name) });

/** `p01.jpg`, `a02.mp3`, …: the number is the entry's position in the archive. */
const interleaved = Array.from({ length: 20 }, (_, i) => {
  const n = String(i + 1).padStart(2, '0');
  return [photo(`p${n}.jpg`), audio(`a${n}.mp3`), video(`v${n}.mp4`), document(`d${n}.txt`)][i % 4]!;
});

const groupOfType = (type: string) => (type === 'photo' || type === 'video' ? 'visual' : type);

describe('albums as delivered', () => {
  let workspace: Workspace;

  beforeEach(async () => {
    workspace = await createWorkspace();
  });

  afterEach(async () => {
    await removeWorkspace(workspace);
  });

  async function deliver(files: readonly { name: string; data: Buffer }[], albumSize?: number) {
    const archive = join(workspace.root, 'media.zip');
    await writeZip(archive, files);
    await runSend(archive, { sink: await dirSink(workspace.out), state: workspace.state, albumSize });
    return readAlbums(workspace.out);
  }

  it('puts photos and videos together, audio only with audio and documents only with documents', async () => {
    const albums = await deliver(interleaved);
    const groups = albums.map((album) => [...new Set(album.files.map((file) => groupOfType(file.type)))]);
    expect(groups.every((group) => group.length === 1)).toBe(true);
    expect(albums.some((album) => new Set(album.files.map((file) => file.type)).size === 2)).toBe(true);
    expect(deliveredFiles(albums).map((file) => `${file.entry}:${file.type}`).sort()).toEqual(
      interleaved.map((file) => `${file.name}:${{ p: 'photo', a: 'audio', v: 'video', d: 'document' }[file.name[0]!]}`).sort(),
    );
    expect(deliveredFiles(albums).map((file) => file.sha256).sort()).toEqual(interleaved.map((file) => sha256(file.data)).sort());
  });

  it('keeps archive order within each album', async () => {
    const albums = await deliver(interleaved);
    for (const names of albumEntries(albums)) expect(names).toEqual([...names].sort((a, b) => a.slice(1).localeCompare(b.slice(1))));
    expect(albumEntries(albums).flat()).toHaveLength(20);
  });

  it('sends a full group at once and the rest at the end of the archive, oldest group first', async () => {
    const photos = Array.from({ length: 12 }, (_, i) => photo(`photo${i + 1}.jpg`));
    const songs = Array.from({ length: 3 }, (_, i) => audio(`song${i + 1}.mp3`));
    const texts = Array.from({ length: 4 }, (_, i) => document(`text${i + 1}.txt`));
    const albums = await deliver([...photos, ...songs, ...texts]);
    expect(albumEntries(albums)).toEqual([
      photos.slice(0, 10).map((file) => file.name),
      photos.slice(10).map((file) => file.name),
      songs.map((file) => file.name),
      texts.map((file) => file.name),
    ]);
  });

  it('never holds more files than one album: the oldest group goes early when the groups together fill one', async () => {
    const albums = await deliver([photo('p1.jpg'), photo('p2.jpg'), document('d1.txt'), photo('p3.jpg'), document('d2.txt'), document('d3.txt')], 4);
    expect(albumEntries(albums)).toEqual([
      ['p1.jpg', 'p2.jpg', 'p3.jpg'],
      ['d1.txt', 'd2.txt', 'd3.txt'],
    ]);
  });

  it('forms albums of at most the album size', async () => {
    const photos = Array.from({ length: 7 }, (_, i) => photo(`photo${i + 1}.jpg`));
    const albums = await deliver([...photos, document('a.txt'), document('b.txt')], 3);
    expect(albumEntries(albums)).toEqual([
      ['photo1.jpg', 'photo2.jpg', 'photo3.jpg'],
      ['photo4.jpg', 'photo5.jpg', 'photo6.jpg'],
      ['photo7.jpg'],
      ['a.txt', 'b.txt'],
    ]);
  });
});
