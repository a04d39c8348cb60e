import { describe, expect, it } from 'vitest';
import { isLaterVolume, volumeNameOf } from '../../src/bot/volumeName.js';

describe('volumeNameOf', () => {
  it('reads RAR volumes named x.partN.rar, keeping the width and spelling of the first', () => {
    expect(volumeNameOf('movie.part1.rar')).toEqual({ format: 'rar', number: 1, main: 'movie.part1.rar' });
    expect(volumeNameOf('movie.part03.rar')).toEqual({ format: 'rar', number: 3, main: 'movie.part01.rar' });
    expect(volumeNameOf('My Movie.PART0012.RAR')).toEqual({ format: 'rar', number: 12, main: 'My Movie.PART0001.RAR' });
  });

  it('reads old RAR volumes (x.rar, x.r00 … x.r99, x.s00 …), whose set opens by x.rar', () => {
    expect(volumeNameOf('movie.r00')).toEqual({ format: 'rar', number: 2, main: 'movie.rar' });
    expect(volumeNameOf('movie.r99')).toEqual({ format: 'rar', number: 101, main: 'movie.rar' });
    expect(volumeNameOf('MOVIE.S00')).toEqual({ format: 'rar', number: 102, main: 'MOVIE.RAR' });
  });

  it('reads 7-Zip splits (x.7z.001, x.zip.001, x.rar.001) and zip splits (x.z01 … x.zip)', () => {
    expect(volumeNameOf('photos.7z.001')).toEqual({ format: '7z', number: 1, main: 'photos.7z.001' });
    expect(volumeNameOf('photos.7z.010')).toEqual({ format: '7z', number: 10, main: 'photos.7z.001' });
    expect(volumeNameOf('photos.zip.002')).toEqual({ format: 'zip', number: 2, main: 'photos.zip.001' });
    expect(volumeNameOf('photos.rar.002')).toEqual({ format: 'rar', number: 2, main: 'photos.rar.001' });
    // A zip split by zip itself ends with x.zip, which holds the directory: the set opens by it.
    expect(volumeNameOf('photos.z01')).toEqual({ format: 'zip', number: 1, main: 'photos.zip' });
  });

  it('says nothing of names that show no set', () => {
    for (const name of ['movie.rar', 'photos.zip', 'photos.7z', 'notes.001', 'movie.part0.rar', 'photos.7z.000', 'part2.rar', 'song.mp3']) {
      expect([name, volumeNameOf(name)]).toEqual([name, undefined]);
    }
  });
});

describe('isLaterVolume', () => {
  it('is true for every volume but the one its set opens by', () => {
    expect(['movie.part1.rar', 'movie.part01.rar', 'photos.7z.001', 'photos.zip.001', 'movie.rar'].map(isLaterVolume)).toEqual([false, false, false, false, false]);
    expect(['movie.part2.rar', 'photos.7z.002', 'movie.r00', 'photos.z01'].map(isLaterVolume)).toEqual([true, true, true, true]);
  });
});
