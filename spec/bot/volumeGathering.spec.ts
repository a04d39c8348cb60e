import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ChatRef } from '../../src/bot/job.js';
import { type GatheredSet, volumeGathering } from '../../src/bot/volumeGathering.js';
import { setMemberOf } from '../../src/sources/volumeNames.js';

const chat: ChatRef = { kind: 'user', id: '4242', accessHash: '99' };
const other: ChatRef = { kind: 'user', id: '5151', accessHash: '7' };

describe('volumeGathering', () => {
  let complete: GatheredSet[];
  let incomplete: { main: string; missing: readonly string[] }[];
  let gathering: ReturnType<typeof volumeGathering>;
  let nextId: number;
  const add = (fileName: string, from = chat) => gathering.add(from, { messageId: nextId++, fileName, documentId: `d-${fileName}` });
  const names = (set: GatheredSet | undefined) => set?.volumes.map((volume) => volume.fileName);

  beforeEach(() => {
    vi.useFakeTimers();
    complete = [];
    incomplete = [];
    nextId = 1;
    gathering = volumeGathering({
      window: 1_000,
      onComplete: (set) => complete.push(set),
      onIncomplete: (set, missing) => incomplete.push({ main: set.main, missing }),
    });
  });

  afterEach(() => {
    gathering.stop();
    vi.useRealTimers();
  });

  it('takes a set a window after its last volume came, in volume order, by chat and set', () => {
    expect(add('a.part3.rar')).toBe(true);
    expect(add('a.part1.rar')).toBe(true);
    expect(add('a.part1.rar', other)).toBe(true);
    vi.advanceTimersByTime(900);
    add('a.part2.rar');
    vi.advanceTimersByTime(900);
    expect(complete).toEqual([expect.objectContaining({ chat: other, main: 'a.part1.rar' })]);
    vi.advanceTimersByTime(100);
    expect(names(complete[1])).toEqual(['a.part1.rar', 'a.part2.rar', 'a.part3.rar']);
    expect(complete[1]!.volumes.map((volume) => volume.messageId)).toEqual([2, 4, 1]);
    expect(incomplete).toEqual([]);
  });

  it('reads old RAR names and both kinds of split zip', () => {
    for (const name of ['b.r00', 'b.rar', 'b.r01', 'c.zip.002', 'c.zip.001']) add(name);
    vi.advanceTimersByTime(1_000);
    expect(complete.map(names)).toEqual([
      ['b.rar', 'b.r00', 'b.r01'],
      ['c.zip.001', 'c.zip.002'],
    ]);
  });

  it('takes a spanned zip at once when its x.zip comes after every volume before it', () => {
    add('d.z01');
    add('d.z02');
    add('d.zip');
    expect(complete.map(names)).toEqual([['d.z01', 'd.z02', 'd.zip']]);
  });

  it('waits the window for a spanned zip whose x.zip came first', () => {
    add('e.zip');
    add('e.z01');
    expect(complete).toEqual([]);
    add('e.z02');
    vi.advanceTimersByTime(1_000);
    expect(complete.map(names)).toEqual([['e.z01', 'e.z02', 'e.zip']]);
  });

  it('names the missing volumes once for each list, and takes the set when they come', () => {
    add('f.7z.001');
    add('f.7z.004');
    vi.advanceTimersByTime(1_000);
    expect(incomplete).toEqual([{ main: 'f.7z.001', missing: ['f.7z.002', 'f.7z.003'] }]);
    vi.advanceTimersByTime(10_000);
    add('f.7z.001');
    vi.advanceTimersByTime(1_000);
    expect(incomplete).toHaveLength(1);
    add('f.7z.003');
    vi.advanceTimersByTime(1_000);
    expect(incomplete.at(-1)).toEqual({ main: 'f.7z.001', missing: ['f.7z.002'] });
    add('f.7z.002');
    vi.advanceTimersByTime(1_000);
    expect(complete.map(names)).toEqual([['f.7z.001', 'f.7z.002', 'f.7z.003', 'f.7z.004']]);
    // The first message of a volume forwarded twice is the one read.
    expect(complete[0]!.volumes[0]!.messageId).toBe(1);
  });

  it('says a spanned zip misses its x.zip, and a set its first volume', () => {
    add('g.z01');
    add('h.r00');
    vi.advanceTimersByTime(1_000);
    expect(incomplete).toEqual([
      { main: 'g.zip', missing: ['g.zip'] },
      { main: 'h.rar', missing: ['h.rar'] },
    ]);
  });

  it('takes a lone x.zip, x.rar or first volume as a set of one, and leaves other files alone', () => {
    expect(add('photos.cbz')).toBe(false);
    expect(add('notes.7z')).toBe(false);
    for (const name of ['i.zip', 'j.rar', 'k.7z.001']) add(name);
    vi.advanceTimersByTime(1_000);
    expect(complete.map(names)).toEqual([['i.zip'], ['j.rar'], ['k.7z.001']]);
  });

  it('tells every set waiting after each change, and takes saved sets up again with a new window', () => {
    const told: (string[] | undefined)[][] = [];
    const first = volumeGathering({ window: 1_000, onComplete: () => {}, onIncomplete: () => {}, onChange: (sets) => told.push(sets.map(names)) });
    first.add(chat, { messageId: 1, fileName: 'm.7z.002', documentId: 'd2' });
    first.add(chat, { messageId: 2, fileName: 'm.7z.003', documentId: 'd3' });
    expect(told).toEqual([[['m.7z.002']], [['m.7z.002', 'm.7z.003']]]);
    first.stop();

    const saved: GatheredSet[] = [{ chat, main: 'm.7z.001', volumes: [{ messageId: 1, fileName: 'm.7z.002', documentId: 'd2' }, { messageId: 2, fileName: 'm.7z.003', documentId: 'd3' }] }];
    const second = volumeGathering({ window: 1_000, saved, onComplete: (set) => complete.push(set), onIncomplete: (set, missing) => incomplete.push({ main: set.main, missing }) });
    second.add(chat, { messageId: 3, fileName: 'm.7z.001', documentId: 'd1' });
    vi.advanceTimersByTime(1_000);
    expect(complete.map(names)).toEqual([['m.7z.001', 'm.7z.002', 'm.7z.003']]);
    second.stop();
  });

  it('drops what waits on stop', () => {
    add('l.7z.001');
    gathering.stop();
    vi.advanceTimersByTime(1_000);
    expect(complete).toEqual([]);
  });
});

describe('setMemberOf', () => {
  it('names the other volumes of a set in the spelling of the one given', () => {
    const name = (fileName: string, n: number) => setMemberOf(fileName)!.nameOf(n);
    expect(name('x.part02.rar', 7)).toBe('x.part07.rar');
    expect(name('x.7z.003', 12)).toBe('x.7z.012');
    expect(name('X.R05', 1)).toBe('X.RAR');
    expect(name('x.rar', 2)).toBe('x.r00');
    expect(name('x.rar', 102)).toBe('x.s00');
    expect(name('x.zip', 3)).toBe('x.z03');
    expect(setMemberOf('x.zip')).toMatchObject({ main: 'x.zip', number: 'last', spanned: true });
    expect(setMemberOf('x.z02')).toMatchObject({ main: 'x.zip', number: 2, spanned: true });
    expect(setMemberOf('x.zip.002')).toMatchObject({ main: 'x.zip.001', number: 2, spanned: false });
    expect(setMemberOf('x.tar.gz')).toBeUndefined();
  });
});
