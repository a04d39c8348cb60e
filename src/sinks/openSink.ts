import { ConfigError } from '../errors.js';
import { dirSink } from './dirSink.js';
import type { Sink } from './sink.js';
import type { FloodWaitListener } from '../telegram/telegramCall.js';
import type { TelegramNetworkConfig } from '../telegram/telegramNetwork.js';

/** Options of {@link openSink}. */
export interface OpenSinkOptions {
  /** The state folder, where Telegram's `config.env` may be. */
  readonly state: string;
  /** Caption template for Telegram. */
  readonly caption?: string | undefined;
  /** Send files over Telegram's limit in pieces. */
  readonly split?: boolean | undefined;
  /** Told when Telegram asks to wait. */
  readonly onFloodWait?: FloodWaitListener | undefined;
  /** How long to wait for Telegram when it is out of reach, and who to tell. Default: for good, silently. */
  readonly network?: TelegramNetworkConfig | undefined;
}

/**
 * Opens the sink that a `--to` value names: `dir:<path>` for a folder, `telegram:<chat>` for a
 * Telegram chat. The Telegram client is loaded only for a Telegram destination, so that runs into
 * a folder start fast and small.
 *
 * @throws ConfigError for an unknown or malformed destination, or bad Telegram settings.
 */
export async function openSink(to: string, options: OpenSinkOptions): Promise<Sink> {
  const colon = to.indexOf(':');
  const scheme = colon > 0 ? to.slice(0, colon) : '';
  const target = to.slice(colon + 1);
  if (scheme === 'dir' && target !== '') return dirSink(target);
  if (scheme === 'telegram' && target !== '') {
    const { openTelegramSink } = await import('./telegram/openTelegramSink.js');
    return openTelegramSink(target, options);
  }
  throw new ConfigError(`--to ${JSON.stringify(to)}: expected dir:<folder> or telegram:<chat>`);
}
