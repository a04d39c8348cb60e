import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { isTelegramDocumentName, parseTelegramDocumentName, telegramDocumentKeyOf } from '../../src/sources/telegram/telegramDocumentName.js';

describe('tg: names', () => {
  it('reads the chat and the message id of tg: names', () => {
    expect(parseTelegramDocumentName('tg:@Archives/42')).toEqual({ chat: '@Archives', messageId: 42 });
    expect(parseTelegramDocumentName('tg:archives/42')).toEqual({ chat: '@archives', messageId: 42 });
    expect(parseTelegramDocumentName('tg:-1001234567/8')).toEqual({ chat: '-1001234567', messageId: 8 });
    expect(parseTelegramDocumentName('tg:me/3')).toEqual({ chat: 'me', messageId: 3 });
  });

  it('reads public and private t.me message links', () => {
    expect(parseTelegramDocumentName('https://t.me/archives/42')).toEqual({ chat: '@archives', messageId: 42 });
    expect(parseTelegramDocumentName('https://t.me/c/1234567/8?single')).toEqual({ chat: '-1001234567', messageId: 8 });
  });

  it('keys a link and a tg: name of the same message alike', () => {
    expect(telegramDocumentKeyOf('https://t.me/Archives/42')).toBe('tg:@archives/42');
    expect(telegramDocumentKeyOf('tg:archives/42')).toBe('tg:@archives/42');
    expect(telegramDocumentKeyOf('https://example.com/archives/42')).toBeUndefined();
    expect(isTelegramDocumentName('https://example.com/a.zip')).toBe(false);
  });

  it('refuses a malformed name with a ConfigError that says how to write it', () => {
    expect(() => parseTelegramDocumentName('tg:@archives')).toThrow(ConfigError);
    expect(() => parseTelegramDocumentName('tg:@archives/0')).toThrow(/tg:<chat>\/<message-id>/);
  });
});
