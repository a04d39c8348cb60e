import type { Api } from 'telegram';
import { ArchiveError, describeError, UnreachableError } from '../../errors.js';
import { connectTelegram, type TelegramConnection } from '../../telegram/connectTelegram.js';
import { realWait, telegramCall } from '../../telegram/telegramCall.js';
import { telegramSettings } from '../../telegram/telegramSettings.js';
import { type Archive, closingWith, type RemoteOrigin } from '../archive.js';
import { documentChat } from './documentChat.js';
import type { TelegramDocumentConfig } from './telegramDocumentSource.js';

/** How {@link openFromChat} logs in: the state folder, the environment, or a connection of a test's own. */
export interface ChatLogin extends TelegramDocumentConfig {
  /** The state folder, where `config.env` may hold the Telegram settings. */
  readonly state: string;
  /** Where the Telegram settings are read first. Default: `process.env`. */
  readonly env?: NodeJS.ProcessEnv | undefined;
  /**
   * How to get a connection. Default: log in with the settings (`telegramSettings` and
   * `connectTelegram`). Tests pass an already connected client here.
   */
  readonly connect?: (() => Promise<TelegramConnection>) | undefined;
}

/** A chat found over a logged-in connection, as an archive's documents are read from it. */
export interface OpenChat {
  readonly connection: TelegramConnection;
  readonly peer: Api.TypeInputPeer;
  /** Ends the opening early (the options' signal, or one that never aborts). */
  readonly signal: AbortSignal;
}

/**
 * Logs in, finds the chat, and opens an archive from its documents with `open`. The archive's
 * `close()` logs out (see {@link closingWith}); so does a failure of any step.
 *
 * @param chat The chat as the `tg:` name gives it.
 * @param name The archive as it may be shown.
 * @param options How to log in, wait and retry.
 * @param open Opens the archive in the chat found, and says where it comes from.
 */
export async function openFromChat(
  chat: string,
  name: string,
  options: ChatLogin,
  open: (found: OpenChat) => Promise<{ archive: Archive; remote: RemoteOrigin }>,
): Promise<Archive> {
  const connection = await (options.connect ?? (async () => connectTelegram(await telegramSettings(options.env ?? process.env, options.state))))();
  try {
    const send = telegramCall(connection.client, options.wait ?? realWait, options.onFloodWait);
    const signal = options.signal ?? new AbortController().signal;
    const peer = await documentChat((request) => send(request, signal), chat, name, connection.isBot);
    const { archive, remote } = await open({ connection, peer, signal });
    return closingWith(archive, remote, () => connection.close());
  } catch (error) {
    await connection.close();
    throw error;
  }
}

/**
 * Runs one step of opening an archive posted in Telegram, as an {@link ArchiveError} naming the
 * archive if it fails; an `ArchiveError` or `UnreachableError` of its own passes as it is (out of
 * reach is not unreadable: the run stops to be resumed).
 *
 * @param name The archive as it may be shown.
 * @param step The step.
 */
export async function openingStep<T>(name: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw error instanceof ArchiveError || error instanceof UnreachableError ? error : new ArchiveError(name, `cannot read: ${describeError(error)}`, { cause: error });
  }
}
