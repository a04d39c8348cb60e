import { ArchiveError } from '../../errors.js';
import { type Archive, notAnArchive } from '../archive.js';
import { concatSource } from '../concatSource.js';
import type { ArchiveFormat } from '../detectFormat.js';
import { readBytes } from '../randomAccess.js';
import { volumeNaming } from '../sevenZip/sevenZipVolumeNames.js';
import { formatOfSource, openSourceArchive } from '../sourceArchive.js';
import { openFromChat, openingStep } from './documentArchive.js';
import type { TelegramArchiveOptions } from './openTelegramArchive.js';
import { parseTelegramVolumeSetName, telegramDocumentKeyOf } from './telegramDocumentName.js';
import { type TelegramDocumentSource, telegramDocumentSource } from './telegramDocumentSource.js';

/** A document of the set, with its size asked once. */
interface Volume {
  readonly source: TelegramDocumentSource;
  readonly size: number;
}

/**
 * The names 7-Zip is given for the volumes (it finds a set's next volume by name): the documents'
 * own when they follow one naming in order, else names of that format's own style.
 */
function sevenZipNames(volumes: readonly Volume[], format: '7z' | 'rar'): string[] {
  const own = volumes.map((volume) => volume.source.fileName ?? '');
  const naming = volumeNaming(own[0]!, (name) => own.includes(name));
  if (naming?.format === format && own.every((name, n) => name === naming.name(n))) return own;
  return volumes.map((_, n) => (format === '7z' ? `volumes.7z.${String(n + 1).padStart(3, '0')}` : `volumes.part${n + 1}.rar`));
}

/**
 * Whether a zip set is PKWARE's spanned kind (`x.z01 … x.zip`, each volume a disk) rather than a
 * zip cut into pieces (`x.zip.001 …`): by the documents' names, or by the spanning marker that
 * `zip -s` writes at the start of the first disk.
 */
async function isSpanned(volumes: readonly Volume[], signal: AbortSignal): Promise<boolean> {
  const names = volumes.map((volume) => volume.source.fileName ?? '');
  if (/\.z\d{2,}$/i.test(names[0]!) && /\.zip$/i.test(names.at(-1)!)) return true;
  const head = await readBytes(volumes[0]!.source, 0, 4, signal);
  return head.equals(Buffer.from([0x50, 0x4b, 0x07, 0x08]));
}

/** Opens the set with the reader of its format, told from its first volume's bytes. */
async function openSet(volumes: readonly Volume[], name: string, format: ArchiveFormat, signal: AbortSignal, password: string | undefined): Promise<Archive> {
  if (format === '7z' || format === 'rar') {
    const names = sevenZipNames(volumes, format);
    const { openSevenZipArchive } = await import('../sevenZip/openSevenZipArchive.js');
    return openSevenZipArchive(volumes.map((volume, n) => ({ name: names[n]!, size: volume.size, source: volume.source })), name, format, { signal, password });
  }
  const joined = concatSource(volumes);
  if (format !== 'zip') return openSourceArchive(joined, name, format, signal, password);
  const starts = volumes.map((_, n) => volumes.slice(0, n).reduce((sum, volume) => sum + volume.size, 0));
  const { openZip } = await import('../zipArchive.js');
  return openZip(joined, name, signal, (await isSpanned(volumes, signal)) ? starts : [0]);
}

/**
 * Opens a volume set posted as separate documents in a Telegram chat, `tg:<chat>/<id1>+<id2>+…`
 * with its messages in volume order, over one connection: each document is read in place (see
 * `telegramDocumentSource`), and nothing is stored. The reader is chosen by the first volume's
 * bytes: a 7z or RAR set (`x.7z.001 …`, `x.part1.rar …`, `x.rar x.r00 …`) goes to 7-Zip with
 * every volume; a zip is read over the volumes one after another, as the disks of a spanned set
 * (`x.z01 … x.zip`, told by the names or the spanning marker) or as the pieces of one zip
 * (`x.zip.001 …`); anything else cut into pieces (a `.tar.gz.001`) is read as the pieces joined.
 * The archive's `close()` logs out of the connection.
 *
 * @param path The `tg:` name of the set.
 * @param name The archive as it may be shown.
 * @param options The state folder, the environment, waits, retries and the password.
 * @throws ConfigError for a malformed name, missing settings, a refused login or an unknown chat.
 * @throws ArchiveError when a message holds no file, a volume is missing, or the set is in none of
 * the formats unspool reads.
 */
export async function openTelegramVolumes(path: string, name: string, options: TelegramArchiveOptions): Promise<Archive> {
  const { chat, messageIds } = parseTelegramVolumeSetName(path);
  return openFromChat(chat, name, options, async ({ connection, peer, signal }) => {
    const volumes: Volume[] = [];
    for (const messageId of messageIds) {
      const source = await telegramDocumentSource(connection.client, peer, messageId, name, options);
      volumes.push({ source, size: await source.size() });
    }
    const opening = <T>(step: () => Promise<T>): Promise<T> => openingStep(name, step);
    const format = await opening(() => formatOfSource(volumes[0]!.source, signal));
    if (!format) throw new ArchiveError(name, notAnArchive);
    const archive = await opening(() => openSet(volumes, name, format, signal, options.password));
    const remote = {
      url: telegramDocumentKeyOf(path)!,
      ranged: true,
      get bytesFetched() {
        return volumes.reduce((sum, volume) => sum + volume.source.bytesFetched, 0);
      },
    };
    return { archive, remote };
  });
}
