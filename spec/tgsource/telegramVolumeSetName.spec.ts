import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { archiveStateKey, remoteArchivePath } from '../../src/sources/archiveKey.js';
import {
  isTelegramDocumentName,
  isTelegramVolumeSetName,
  parseTelegramDocumentName,
  parseTelegramVolumeSetName,
  telegramDocumentKeyOf,
} from '../../src/sources/telegram/telegramDocumentName.js';

describe('tg: names of volume sets', () => {
  it('reads the chat and the message ids, in the order written', () => {
    expect(parseTelegramVolumeSetName('tg:4242/7+8+10')).toEqual({ chat: '4242', messageIds: [7, 8, 10] });
    expect(parseTelegramVolumeSetName('tg:archives/9+3')).toEqual({ chat: '@archives', messageIds: [9, 3] });
    expect(parseTelegramVolumeSetName(' tg:-1001234567/1+2 ')).toEqual({ chat: '-1001234567', messageIds: [1, 2] });
    expect(parseTelegramVolumeSetName('tg:ME/5+6')).toEqual({ chat: 'me', messageIds: [5, 6] });
  });

  it('tells a set from a single message, and keeps single messages as they were', () => {
    expect(isTelegramVolumeSetName('tg:4242/7+8')).toBe(true);
    expect(isTelegramVolumeSetName('tg:4242/7')).toBe(false);
    expect(isTelegramVolumeSetName('https://t.me/archives/7')).toBe(false);
    expect(isTelegramDocumentName('tg:4242/7+8')).toBe(true);
    expect(parseTelegramDocumentName('tg:4242/7')).toEqual({ chat: '4242', messageId: 7 });
    expect(telegramDocumentKeyOf('tg:Archives/42')).toBe('tg:@archives/42');
  });

  it('refuses a malformed set with a ConfigError that says how to write it', () => {
    for (const name of ['tg:4242/7', 'tg:4242/7+', 'tg:4242/+7', 'tg:4242/7++8', 'tg:4242/7+x', 'tg:4242/7+0', 'tg:4242/7+8+7']) {
      expect(() => parseTelegramVolumeSetName(name), name).toThrow(ConfigError);
      expect(() => parseTelegramVolumeSetName(name), name).toThrow(/tg:<chat>\/<id1>\+<id2>\+…/);
    }
    expect(() => parseTelegramVolumeSetName('tg:4242/7+8+7')).toThrow(/listed twice/);
    expect(() => parseTelegramVolumeSetName(`tg:4242/${Array.from({ length: 1001 }, (_, i) => i + 1).join('+')}`)).toThrow(/more than 1000 volumes/);
  });

  it('keys a set by its chat and its messages in order: one key for the set, never its first volume\'s', () => {
    expect(telegramDocumentKeyOf('tg:Archives/7+8+10')).toBe('tg:@archives/7+8+10');
    expect(telegramDocumentKeyOf('tg:archives/7+8+10')).toBe(telegramDocumentKeyOf('tg:@ARCHIVES/7+8+10'));
    expect(telegramDocumentKeyOf('tg:archives/7+8+7')).toBeUndefined();
    expect(archiveStateKey('tg:4242/7+8+10')).toBe('/tg:4242/7+8+10');
    expect(archiveStateKey('tg:4242/7+8+10')).not.toBe(archiveStateKey('tg:4242/7'));
    expect(remoteArchivePath('tg:4242/7+8', { url: 'tg:4242/7+8', ranged: true, bytesFetched: 0 })).toBe('tg:4242/7+8');
  });
});
