import type { Sink } from '../sink.js';
import { connectTelegram } from '../../telegram/connectTelegram.js';
import { resolveChat } from '../../telegram/resolveChat.js';
import type { FloodWaitListener } from '../../telegram/telegramCall.js';
import type { TelegramNetworkConfig } from '../../telegram/telegramNetwork.js';
import { premiumUploadLimit, telegramSink, uploadLimit } from './telegramSink.js';
import { telegramSettings } from '../../telegram/telegramSettings.js';

/** Options of {@link openTelegramSink}. */
export interface OpenTelegramSinkOptions {
  /** The state folder, where `config.env` may be. */
  readonly state: string;
  /** Caption template. */
  readonly caption?: string | undefined;
  /** Send files over the upload limit in pieces instead of skipping them. */
  readonly split?: boolean | undefined;
  /** Told when Telegram asks to wait. */
  readonly onFloodWait?: FloodWaitListener | undefined;
  /** How long to wait for Telegram when it is out of reach, and who to tell. Default: for good. */
  readonly network?: TelegramNetworkConfig | undefined;
  /** The environment. Default: `process.env`. */
  readonly env?: NodeJS.ProcessEnv | undefined;
}

/**
 * Opens `--to telegram:<chat>`: reads the settings, connects and logs in once, and resolves the
 * chat, all before any entry is read, so a bad setting costs nothing. The sink's upload limit is
 * the account's (2000 MiB, 4000 MiB with Premium); `close()` disconnects.
 */
export async function openTelegramSink(chat: string, options: OpenTelegramSinkOptions): Promise<Sink> {
  const settings = await telegramSettings(options.env ?? process.env, options.state);
  const connection = await connectTelegram(settings, options.network);
  try {
    const { peer } = await resolveChat(connection.client, chat, connection.isBot);
    const sink = telegramSink({
      client: connection.client,
      peer,
      chat,
      caption: options.caption,
      onFloodWait: options.onFloodWait,
      maxFileSize: connection.premium ? premiumUploadLimit : uploadLimit,
      split: options.split ?? false,
      disconnect: connection.close,
    });
    return sink;
  } catch (error) {
    await connection.close();
    throw error;
  }
}
