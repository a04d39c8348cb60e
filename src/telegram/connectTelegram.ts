import { Logger, TelegramClient } from 'telegram';
import { LogLevel } from 'telegram/extensions/Logger.js';
import { StringSession } from 'telegram/sessions/index.js';
import { ConfigError, UnreachableError } from '../errors.js';
import type { TelegramSettings } from './telegramSettings.js';
import { describeTelegramError, rpcErrorName } from './telegramErrors.js';
import { type TelegramNetwork, type TelegramNetworkConfig, watchTelegramNetwork } from './telegramNetwork.js';

/** A connected client and who it is logged in as. */
export interface TelegramConnection {
  readonly client: TelegramClient;
  readonly isBot: boolean;
  readonly premium: boolean;
  /** The watch that keeps it connected through network drops; none for a client made by a test. */
  readonly network?: TelegramNetwork;
  /** Disconnects and stops gramjs's background loops, so the process can exit. */
  readonly close: () => Promise<void>;
}

/**
 * A gramjs client as unspool uses it: silent (gramjs would print to stdout), its own flood
 * sleeping off (unspool waits out floods itself and shows it), reconnecting on its own. gramjs
 * tries a connection three times, a second apart, before it gives up: past that,
 * {@link watchTelegramNetwork} has it try again for as long as the run may wait, and says so.
 */
export function newTelegramClient(settings: Pick<TelegramSettings, 'apiId' | 'apiHash'>, session = ''): TelegramClient {
  return new TelegramClient(new StringSession(session), settings.apiId, settings.apiHash, {
    baseLogger: new Logger(LogLevel.NONE),
    floodSleepThreshold: 0,
    connectionRetries: 3,
    retryDelay: 1000,
    autoReconnect: true,
    requestRetries: 3,
  });
}

/**
 * Connects and logs in with the settings: as a bot with its token, or as a user with a saved
 * session string. One connection serves the whole run, kept up through network drops by
 * {@link watchTelegramNetwork} with `network`'s settings. A rejected token or session is a
 * {@link ConfigError} that says what to do, without the secret; Telegram out of reach for longer
 * than `network.giveUpAfter` (by default it is waited for without end) is an {@link UnreachableError}.
 *
 * @param settings The app's id and hash, and the login.
 * @param network How long to wait for the network, and who to tell when it goes and comes back.
 */
export async function connectTelegram(settings: TelegramSettings, network: TelegramNetworkConfig = {}): Promise<TelegramConnection> {
  const client = newTelegramClient(settings, 'session' in settings.login ? settings.login.session : '');
  const watch = watchTelegramNetwork(client, network);
  const close = async () => {
    watch.close();
    await client.destroy().catch(() => undefined);
  };
  const logIn = async () => {
    if ('bot' in settings.login) {
      const token = settings.login.bot;
      await client.start({
        botAuthToken: token,
        onError: async (error) => {
          throw error;
        },
      });
    } else if (!(await client.checkAuthorization())) {
      throw new ConfigError('TELEGRAM_SESSION is no longer logged in (logged out, or revoked in Settings → Devices): run `unspool login` again');
    }
    return client.getMe();
  };
  try {
    await watch.ready();
    // gramjs's own requests here do not go through telegramCall: the watch bounds them as a whole.
    const me = await watch.guard(logIn());
    return { client, isBot: me.bot ?? false, premium: me.premium ?? false, network: watch, close };
  } catch (error) {
    await close();
    if (error instanceof ConfigError || error instanceof UnreachableError) throw error;
    const name = rpcErrorName(error);
    if (name && /TOKEN|AUTH_KEY|SESSION|API_ID/.test(name)) {
      throw new ConfigError(`Telegram refused the login (${name}): check TELEGRAM_API_ID, TELEGRAM_API_HASH and ${'bot' in settings.login ? 'TELEGRAM_BOT_TOKEN' : 'TELEGRAM_SESSION'} ${settings.from}`);
    }
    throw new ConfigError(`cannot connect to Telegram: ${describeTelegramError(error)}`);
  }
}
