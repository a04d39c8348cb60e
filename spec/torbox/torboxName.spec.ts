import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { isTorboxName, parseTorboxName, torboxKeyOf } from '../../src/sources/torbox/torboxName.js';

describe('torbox: names', () => {
  it.each([
    ['torbox:123', { kind: 'torrent', id: 123 }],
    ['torbox:torrent:123', { kind: 'torrent', id: 123 }],
    ['torbox:usenet:7', { kind: 'usenet', id: 7 }],
    ['torbox:webdl:42', { kind: 'webdl', id: 42 }],
    ['TorBox:WebDL:42', { kind: 'webdl', id: 42 }],
  ])('reads %s', (text, item) => {
    expect(parseTorboxName(text)).toEqual(item);
  });

  it.each(['torbox:', 'torbox:abc', 'torbox:magnet:1', 'torbox:1:2', 'torbox:-1', 'torbox:https://x'])('refuses %s with a ConfigError saying how to write it', (text) => {
    expect(() => parseTorboxName(text)).toThrow(
      new ConfigError(`${text}: not a Torbox download; write torbox:<id> for a torrent, torbox:usenet:<id> or torbox:webdl:<id>, with the download's id in Torbox`),
    );
  });

  it('keys every spelling of one download the same, and leaves other arguments alone', () => {
    expect(['torbox:12', 'torbox:torrent:12', 'TORBOX:012'].map(torboxKeyOf)).toEqual(['torbox:torrent:12', 'torbox:torrent:12', 'torbox:torrent:12']);
    expect(torboxKeyOf('torbox:usenet:5')).toBe('torbox:usenet:5');
    expect([torboxKeyOf('torbox:abc'), torboxKeyOf('photos.zip'), torboxKeyOf('https://example.org/a.zip')]).toEqual([undefined, undefined, undefined]);
  });

  it('tells torbox: names from paths and addresses', () => {
    expect([isTorboxName('torbox:1'), isTorboxName('./torbox:1'), isTorboxName('https://torbox.app/x')]).toEqual([true, false, false]);
  });
});
