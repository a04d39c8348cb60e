import { describe, expect, it } from 'vitest';
import { parseBotCommand } from '../../src/bot/parseBotCommand.js';
import { archiveKindOf } from '../../src/bot/archiveKind.js';

describe('parseBotCommand', () => {
  it('reads /send with a path that has spaces, a destination and "again"', () => {
    expect(parseBotCommand('/send /sdcard/My Files/a.zip to @photos again')).toEqual({ kind: 'send', source: '/sdcard/My Files/a.zip', to: '@photos', again: true });
    expect(parseBotCommand('/send https://x.example/a.zip?t=1')).toEqual({ kind: 'send', source: 'https://x.example/a.zip?t=1', again: false });
    expect(parseBotCommand('/send@unspool_bot torbox:12 to -1001234')).toEqual({ kind: 'send', source: 'torbox:12', to: '-1001234', again: false });
  });

  it('understands a link, a torbox: name or a bare Torbox id pasted alone', () => {
    expect(parseBotCommand('https://cdn.example/f.tar.gz')).toEqual({ kind: 'send', source: 'https://cdn.example/f.tar.gz', again: false });
    expect(parseBotCommand(' torbox:usenet:7 ')).toEqual({ kind: 'send', source: 'torbox:usenet:7', again: false });
    expect(parseBotCommand('123456')).toEqual({ kind: 'send', source: 'torbox:123456', again: false });
    expect(parseBotCommand('https://t.me/c/1234567/8')).toEqual({ kind: 'send', source: 'https://t.me/c/1234567/8', again: false });
    expect(parseBotCommand('hello there')).toEqual({ kind: 'none' });
    expect(parseBotCommand('https://a.example/x.zip and more')).toEqual({ kind: 'none' });
  });

  it('reads job numbers, with or without #, and says what is wrong with others', () => {
    expect(parseBotCommand('/cancel #3')).toEqual({ kind: 'cancel', job: 3 });
    expect(parseBotCommand('/retry 12')).toEqual({ kind: 'retry', job: 12 });
    expect(parseBotCommand('/status')).toEqual({ kind: 'status' });
    expect(parseBotCommand('/status 4')).toEqual({ kind: 'status', job: 4 });
    expect(parseBotCommand('/cancel')).toEqual({ kind: 'malformed', answer: 'Which job? /cancel <job>; /queue lists them' });
    expect(parseBotCommand('/status all')).toEqual({ kind: 'malformed', answer: '"all" is not a job number /status [job]; /queue lists them' });
  });

  it('keeps a password exactly as typed after /pass, spaces inside included', () => {
    expect(parseBotCommand('/pass  p@ss w0rd')).toEqual({ kind: 'pass', password: 'p@ss w0rd' });
    expect(parseBotCommand('/pass')).toEqual({ kind: 'malformed', answer: 'Which password? /pass <password>' });
  });

  it('knows /help, /start, /queue, /pause and /resume, and names commands it does not know', () => {
    expect(['/help', '/start', '/queue', '/pause', '/resume'].map((text) => parseBotCommand(text).kind)).toEqual(['help', 'help', 'queue', 'pause', 'resume']);
    expect(parseBotCommand('/Delete_All now')).toEqual({ kind: 'unknown', command: '/delete_all' });
  });
});

describe('archiveKindOf', () => {
  it('tells archives to unpack, later volumes of a set, and other files from name and type', () => {
    expect(archiveKindOf('Holiday.ZIP', 'application/octet-stream')).toBe('archive');
    expect(archiveKindOf('backup.tar.gz', 'application/octet-stream')).toBe('archive');
    expect(archiveKindOf('download', 'application/zip')).toBe('archive');
    expect(archiveKindOf('song.mp3', 'audio/mpeg')).toBe('other');
  });
  it('takes 7z, RAR, compressed tars and the first volume of a set as archives, by name or by type', () => {
    const names = ['movie.7z', 'part.rar', 'Comic.CBR', 'logs.tar.xz', 'logs.txz', 'src.tar.bz2', 'src.tbz2', 'src.tbz', 'db.tar.zst', 'db.tzst'];
    const firsts = ['movie.7z.001', 'movie.part1.rar', 'movie.part01.rar', 'movie.zip.001'];
    for (const name of [...names, ...firsts]) expect([name, archiveKindOf(name, 'application/octet-stream')]).toEqual([name, 'archive']);
    const types = ['application/x-7z-compressed', 'application/vnd.rar', 'application/x-rar-compressed', 'application/x-xz', 'application/x-bzip2', 'application/zstd'];
    for (const type of types) expect([type, archiveKindOf('download', type)]).toEqual([type, 'archive']);
  });
  it('tells a later volume of a set by its name, whatever its type', () => {
    for (const name of ['movie.part2.rar', 'movie.part02.rar', 'movie.7z.002', 'movie.r00', 'movie.z01', 'movie.zip.003']) {
      expect([name, archiveKindOf(name, 'application/vnd.rar')]).toEqual([name, 'later-volume']);
    }
  });
});
