import { describe, expect, it } from 'vitest';
import { volumeNaming } from '../../src/sources/sevenZip/sevenZipVolumeNames.js';
import { isLaterVolume, volumeNameOf } from '../../src/sources/volumeNames.js';

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

describe('volumeNaming (the 7z and RAR sets 7-Zip is given)', () => {
  const names = (file: string, count: number, exists: (name: string) => boolean = () => true) => {
    const naming = volumeNaming(file, exists);
    return naming && { format: naming.format, names: Array.from({ length: count }, (_, n) => naming.name(n)) };
  };

  it('names every volume of a set from any one of them, in its spelling', () => {
    expect(names('photos.7z.002', 2)).toEqual({ format: '7z', names: ['photos.7z.001', 'photos.7z.002'] });
    expect(names('photos.7z.1000', 1)).toEqual({ format: '7z', names: ['photos.7z.001'] });
    expect(names('movie.PART03.RAR', 2)).toEqual({ format: 'rar', names: ['movie.PART01.RAR', 'movie.PART02.RAR'] });
    expect(names('movie.r00', 3)).toEqual({ format: 'rar', names: ['movie.rar', 'movie.r00', 'movie.r01'] });
    expect(names('MOVIE.R05', 1)).toEqual({ format: 'rar', names: ['MOVIE.RAR'] });
    expect(volumeNaming('movie.rar', () => true)!.name(101)).toBe('movie.s00');
  });

  it('takes a plain x.rar as a set only when x.r00 is beside it, and leaves zips to the zip reader', () => {
    expect(names('movie.rar', 2, (name) => name === 'movie.r00')).toEqual({ format: 'rar', names: ['movie.rar', 'movie.r00'] });
    expect(names('movie.rar', 2, () => false)).toBeUndefined();
    for (const file of ['photos.zip.001', 'photos.z01', 'photos.zip', 'movie.rar.001', 'photos.7z', 'photos.7z.000']) expect([file, volumeNaming(file, () => true)]).toEqual([file, undefined]);
  });
});
