import { Logger, TelegramClient } from 'telegram';
import { LogLevel } from 'telegram/extensions/Logger.js';
import { StringSession } from 'telegram/sessions/index.js';
import { ConfigError } from '../../errors.js';
import type { TelegramSettings } from './telegramSettings.js';
import { describeTelegramError, rpcErrorName } from './telegramErrors.js';

/** A connected client and who it is logged in as. */
export interface TelegramConnection {
  readonly client: TelegramClient;
  readonly isBot: boolean;
  readonly premium: boolean;
  /** Disconnects and stops gramjs's background loops, so the process can exit. */
  readonly close: () => Promise<void>;
}

/**
 * A gramjs client as unspool uses it: silent (gramjs would print to stdout), its own flood
 * sleeping off (unspool waits out floods itself and shows it), reconnecting on its own.
 */
export function newTelegramClient(settings: Pick<TelegramSettings, 'apiId' | 'apiHash'>, session = ''): TelegramClient {
  return new TelegramClient(new StringSession(session), settings.apiId, settings.apiHash, {
    baseLogger: new Logger(LogLevel.NONE),
    floodSleepThreshold: 0,
    connectionRetries: 10,
    retryDelay: 2000,
    autoReconnect: true,
    requestRetries: 3,
  });
}

/**
 * Connects and logs in with the settings: as a bot with its token, or as a user with a saved
 * session string. One connection serves the whole run. A rejected token or session is a
 * {@link ConfigError} that says what to do, without the secret.
 */
export async function connectTelegram(settings: TelegramSettings): Promise<TelegramConnection> {
  const client = newTelegramClient(settings, 'session' in settings.login ? settings.login.session : '');
  const close = async () => {
    await client.destroy().catch(() => undefined);
  };
  try {
    if ('bot' in settings.login) {
      const token = settings.login.bot;
      await client.start({
        botAuthToken: token,
        onError: async (error) => {
          throw error;
        },
      });
    } else {
      await client.connect();
      if (!(await client.checkAuthorization())) {
        throw new ConfigError('TELEGRAM_SESSION is no longer logged in (logged out, or revoked in Settings → Devices): run `unspool login` again');
      }
    }
    const me = await client.getMe();
    return { client, isBot: me.bot ?? false, premium: me.premium ?? false, close };
  } catch (error) {
    await close();
    if (error instanceof ConfigError) throw error;
    const name = rpcErrorName(error);
    if (name && /TOKEN|AUTH_KEY|SESSION|API_ID/.test(name)) {
      throw new ConfigError(`Telegram refused the login (${name}): check TELEGRAM_API_ID, TELEGRAM_API_HASH and ${'bot' in settings.login ? 'TELEGRAM_BOT_TOKEN' : 'TELEGRAM_SESSION'} ${settings.from}`);
    }
    throw new ConfigError(`cannot connect to Telegram: ${describeTelegramError(error)}`);
  }
}
