import { describe, expect, it } from 'vitest';
import { caption, captionLimit, type CaptionFields } from '../../src/sinks/telegram/caption.js';

const fields: CaptionFields = { path: 'holiday/day 1/beach-01.png', archive: '/sdcard/Download/photos.zip', index: 7, total: 19 };

describe('caption', () => {
  it('is the entry\'s path with the default template {path}', () => {
    expect(caption('{path}', fields)).toBe('holiday/day 1/beach-01.png');
  });

  it('fills every placeholder: name, path, archive\'s file name, index and total', () => {
    expect(caption('{name} | {path} | {archive} | {index}/{total}', fields)).toBe('beach-01.png | holiday/day 1/beach-01.png | photos.zip | 7/19');
  });

  it('fills a placeholder as often as it appears', () => {
    expect(caption('{index}-{index}-{index}', fields)).toBe('7-7-7');
  });

  it('keeps unknown placeholders and other braces as written', () => {
    expect(caption('{size} {Name} { name } {} {name', fields)).toBe('{size} {Name} { name } {} {name');
  });

  it('writes ? for {total} when the archive does not tell how many entries it has', () => {
    expect(caption('{index} of {total}', { ...fields, total: undefined })).toBe('7 of ?');
  });

  it('takes {name} after the last backslash of a path stored with Windows separators', () => {
    expect(caption('{name}', { ...fields, path: 'Photos\\2024\\IMG_0001.JPG' })).toBe('IMG_0001.JPG');
    expect(caption('{path}', { ...fields, path: 'Photos\\2024\\IMG_0001.JPG' })).toBe('Photos\\2024\\IMG_0001.JPG');
  });

  it('does not fill placeholders that come from a value, nor read $ patterns in it', () => {
    expect(caption('{name} {path}', { ...fields, path: 'odd/{archive} $& $1.txt' })).toBe('{archive} $& $1.txt odd/{archive} $& $1.txt');
  });

  it('keeps a caption of exactly 1024 characters whole', () => {
    const path = 'a'.repeat(captionLimit);
    expect(caption('{path}', { ...fields, path })).toBe(path);
  });

  it('cuts a longer caption to 1024 characters, the last of them …', () => {
    const path = `${'b'.repeat(captionLimit)}tail`;
    const text = caption('{path}', { ...fields, path });
    expect(text).toHaveLength(captionLimit);
    expect(text).toBe(`${'b'.repeat(captionLimit - 1)}…`);
  });

  // Reported bug: the cut counts UTF-16 code units and can fall between the two halves of a
  // character outside the BMP (an emoji), leaving a lone surrogate that Telegram receives as U+FFFD.
  it('never cuts a caption between the two halves of an emoji', () => {
    const path = `${'c'.repeat(captionLimit - 2)}😀😀`;
    const text = caption('{path}', { ...fields, path });
    expect(text.length).toBeLessThanOrEqual(captionLimit);
    // gramjs sends the caption as UTF-8: a lone surrogate would not survive the trip.
    expect(Buffer.from(text, 'utf8').toString('utf8')).toBe(text);
    expect(text.endsWith('…')).toBe(true);
  });
});
