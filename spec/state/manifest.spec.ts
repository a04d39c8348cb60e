import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Manifest } from '../../src/state/manifest.js';

const identity = { source: 'a.zip', path: '/a.zip', size: 1, mtimeMs: 0, format: 'zip', fingerprint: 'f' };
const entry = (index: number) => ({ index, name: `e${index}`, size: 10 });

describe('Manifest', () => {
  let folder: string;

  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'unspool-manifest-'));
  });

  afterEach(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('keeps delivered entries as merged ranges, whatever the order they land in', () => {
    const manifest = Manifest.create(join(folder, 'm.json'), identity, { albumSize: 10 });
    for (const index of [0, 1, 5, 3, 2, 4, 9]) manifest.delivered(entry(index));
    expect(manifest.data.delivered).toEqual([
      [0, 5],
      [9, 9],
    ]);
    expect(manifest.data.nextIndex).toBe(6);
    expect([manifest.isSettled(4), manifest.isSettled(7), manifest.isSettled(9)]).toEqual([true, false, true]);
  });

  it('counts failed entries as settled unless retrying them', () => {
    const manifest = Manifest.create(join(folder, 'm.json'), identity, { albumSize: 10 });
    manifest.settle(entry(0), { state: 'failed', reason: 'crc-mismatch', detail: 'x' });
    expect([manifest.isSettled(0), manifest.isSettled(0, { retryFailed: true })]).toEqual([true, false]);
  });

  it('counts entries waiting for a password as settled unless a password is given', () => {
    const manifest = Manifest.create(join(folder, 'm.json'), identity, { albumSize: 10 });
    manifest.settle(entry(0), { state: 'skipped', reason: 'encrypted', detail: 'x' });
    manifest.settle(entry(1), { state: 'failed', reason: 'wrong-password', detail: 'x' });
    manifest.settle(entry(2), { state: 'skipped', reason: 'encrypted-aes', detail: 'x' });
    manifest.settle(entry(3), { state: 'failed', reason: 'crc-mismatch', detail: 'x' });
    manifest.delivered(entry(4));
    const settled = (config: Parameters<Manifest['isSettled']>[1]) => [0, 1, 2, 3, 4].filter((index) => manifest.isSettled(index, config));
    expect(settled({})).toEqual([0, 1, 2, 3, 4]);
    expect(settled({ password: true })).toEqual([2, 3, 4]);
    expect(settled({ retryFailed: true })).toEqual([0, 2, 4]);
    expect(settled({ password: true, retryFailed: true })).toEqual([2, 4]);
    expect([manifest.settledCount(), manifest.settledCount({ password: true })]).toEqual([5, 3]);
  });

  it('takes a settled entry out of its album in flight, and forgets an album left empty', () => {
    const manifest = Manifest.create(join(folder, 'm.json'), identity, { albumSize: 10 });
    manifest.inFlight('a', { entries: [1, 2], group: 'visual' });
    manifest.settle(entry(1), { state: 'failed', reason: 'truncated', detail: 'x' });
    expect(manifest.data.inFlight).toEqual({ a: { entries: [2], group: 'visual' } });
    manifest.settle(entry(2), { state: 'failed', reason: 'truncated', detail: 'x' });
    expect(manifest.data.inFlight).toEqual({});
  });

  it('saves and loads what it holds', async () => {
    const manifest = Manifest.create(join(folder, 'manifests', 'm.json'), identity, { albumSize: 4 });
    manifest.delivered(entry(0));
    manifest.inFlight('b', { entries: [1], group: 'audio' });
    await manifest.save();
    const loaded = await Manifest.load(join(folder, 'manifests', 'm.json'), 'a.zip');
    expect(loaded?.data).toEqual(manifest.data);
  });

  it('keeps the messages posted for an album in flight across a save, and forgets them when the album lands', async () => {
    const file = join(folder, 'm.json');
    const manifest = Manifest.create(file, identity, { albumSize: 10 });
    manifest.inFlight('a', { entries: [1, 2], group: 'visual' });
    manifest.posted('a', { '-11': 501 });
    manifest.posted('a', { '22': null });
    await manifest.save();
    expect((await Manifest.load(file, 'a.zip'))!.sentFor('a')).toEqual({ '-11': 501, '22': null });
    manifest.landed('a');
    expect(manifest.sentFor('a')).toEqual({});
    expect(manifest.data.sent).toBeUndefined();
  });

  it('forgets the messages of an album in flight whose every entry failed', () => {
    const manifest = Manifest.create(join(folder, 'm.json'), identity, { albumSize: 10 });
    manifest.inFlight('a', { entries: [1], group: 'visual' });
    manifest.posted('a', { '-11': 501 });
    manifest.settle(entry(1), { state: 'failed', reason: 'truncated', detail: 'x' });
    expect(manifest.data.sent).toBeUndefined();
  });

  it('has no manifest for an archive never seen', async () => {
    expect(await Manifest.load(join(folder, 'none.json'), 'a.zip')).toBeUndefined();
  });

  it('refuses a corrupt manifest and leaves it as it is', async () => {
    const file = join(folder, 'm.json');
    await writeFile(file, '{"version":1,"archi');
    await expect(Manifest.load(file, 'a.zip')).rejects.toThrow(`a.zip: its manifest ${file} is corrupt`);
    expect(await readFile(file, 'utf8')).toBe('{"version":1,"archi');
  });

  it('refuses a manifest of a newer format', async () => {
    const file = join(folder, 'm.json');
    await writeFile(file, '{"version":99}');
    await expect(Manifest.load(file, 'a.zip')).rejects.toThrow('written by a newer unspool (format 99); upgrade unspool');
  });

  it.each([
    ['an array', '[1]', 'not a JSON object'],
    ['no archive', '{"version":1,"nextIndex":0,"delivered":[],"deliveredBytes":0,"albumsDelivered":0,"outcomes":{}}', 'bad or missing: archive'],
    ['a next index that is not a count', '{"version":1,"archive":{"size":1},"nextIndex":"3","delivered":[],"deliveredBytes":0,"albumsDelivered":0,"outcomes":{}}', 'bad or missing: nextIndex'],
    ['ranges that are not pairs', '{"version":1,"archive":{"size":1},"nextIndex":0,"delivered":[[1]],"deliveredBytes":0,"albumsDelivered":0,"outcomes":{}}', 'bad or missing: delivered'],
  ])('refuses a manifest with %s, naming what is wrong and leaving it as it is', async (_, text, words) => {
    const file = join(folder, 'm.json');
    await writeFile(file, text);
    await expect(Manifest.load(file, 'a.zip')).rejects.toThrow(`a.zip: its manifest ${file} is not a whole unspool manifest (${words}); use --restart to discard it`);
    expect(await readFile(file, 'utf8')).toBe(text);
  });

  it('appends delivered albums to its journal', async () => {
    const manifest = Manifest.create(join(folder, 'm.json'), identity, { albumSize: 4 });
    await manifest.logDelivered('a', [0, 1], { items: ['m1', 'm2'] });
    await manifest.logDelivered('b', [2], { items: ['m3'] });
    const lines = (await readFile(join(folder, 'm.albums.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line));
    expect(lines.map(({ album, entries, receipt }) => ({ album, entries, receipt }))).toEqual([
      { album: 'a', entries: [0, 1], receipt: ['m1', 'm2'] },
      { album: 'b', entries: [2], receipt: ['m3'] },
    ]);
  });
});
