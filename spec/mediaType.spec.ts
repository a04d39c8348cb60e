import { describe, expect, it } from 'vitest';
import { mediaTypeOf, refineMediaType } from '../src/mediaType.js';

describe('mediaTypeOf', () => {
  it('classifies by extension, case-insensitively', () => {
    expect(mediaTypeOf('a/b/IMG_1.JPG')).toBe('photo');
    expect(mediaTypeOf('clip.webm')).toBe('video');
    expect(mediaTypeOf('song.opus')).toBe('audio');
    expect(mediaTypeOf('notes.txt')).toBe('document');
  });

  it('treats names without an extension, or dot-files, as documents', () => {
    expect(mediaTypeOf('README')).toBe('document');
    expect(mediaTypeOf('dir/.jpg')).toBe('document');
  });

  it('uses only the part after the last slash or backslash', () => {
    expect(mediaTypeOf('photos.jpg\\readme')).toBe('document');
    expect(mediaTypeOf('x.mp3/inner.png')).toBe('photo');
  });
});

describe('refineMediaType', () => {
  const jpeg = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0]);
  it('keeps a photo whose bytes are an image', () => expect(refineMediaType('photo', jpeg)).toBe('photo'));
  it('sends a "photo" that is not an image as a document', () =>
    expect(refineMediaType('photo', Uint8Array.from([1, 2, 3, 4]))).toBe('document'));
  it('recognises an image without an image extension', () => expect(refineMediaType('document', jpeg)).toBe('photo'));
  it('keeps video and audio types as named', () => expect(refineMediaType('audio', jpeg)).toBe('audio'));
});
