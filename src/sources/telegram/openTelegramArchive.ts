import { ArchiveError } from '../../errors.js';
import { type Archive, notAnArchive } from '../archive.js';
import { formatOfSource, openSourceArchive } from '../sourceArchive.js';
import { type ChatLogin, openFromChat, openingStep } from './documentArchive.js';
import { parseTelegramDocumentName, telegramDocumentKeyOf } from './telegramDocumentName.js';
import { telegramDocumentSource } from './telegramDocumentSource.js';

/** Options of {@link openTelegramArchive}. */
export interface TelegramArchiveOptions extends ChatLogin {
  /** The password of a 7z or RAR archive whose names are encrypted, needed to list it. Default: none. */
  readonly password?: string | undefined;
}

/**
 * Opens an archive posted as a file in a Telegram chat the account can read:
 * `tg:<chat>/<message-id>` or the message's `t.me` link. It logs in as `unspool send --to
 * telegram:` does (a bot or a user, from `TELEGRAM_*` in the environment or `<state>/config.env`),
 * tells the format from the first bytes, and reads the document in place through
 * `telegramDocumentSource`: a zip by its central directory, then each entry's own range; a tar or
 * tar.gz straight through. Nothing is stored. The archive's `close()` logs out of the connection.
 *
 * @param path The `tg:` name or `t.me` link.
 * @param name The archive as it may be shown.
 * @param options The state folder, the environment, waits and retries.
 * @throws ConfigError for a malformed name, missing settings, a refused login or an unknown chat.
 * @throws ArchiveError when the message holds no file, or an archive in none of the formats unspool reads.
 */
export async function openTelegramArchive(path: string, name: string, options: TelegramArchiveOptions): Promise<Archive> {
  const { chat, messageId } = parseTelegramDocumentName(path);
  return openFromChat(chat, name, options, async ({ connection, peer, signal }) => {
    const source = await telegramDocumentSource(connection.client, peer, messageId, name, options);
    const remote = {
      url: telegramDocumentKeyOf(path)!,
      ranged: true,
      get bytesFetched() {
        return source.bytesFetched;
      },
    };
    const opening = <T>(step: () => Promise<T>): Promise<T> => openingStep(name, step);
    const format = await opening(() => formatOfSource(source, signal));
    if (!format) throw new ArchiveError(name, notAnArchive);
    const archive = await opening(() => openSourceArchive(source, name, format, signal, options.password));
    return { archive, remote };
  });
}
