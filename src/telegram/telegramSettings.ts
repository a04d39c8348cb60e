import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { ConfigError, describeError } from '../errors.js';

/** How unspool logs in to Telegram: as a bot, or as a user account with a saved session. */
export type TelegramLogin = { readonly bot: string } | { readonly session: string };

/** Everything needed to connect, from the environment or the config file. Secret: never logged. */
export interface TelegramSettings {
  readonly apiId: number;
  readonly apiHash: string;
  readonly login: TelegramLogin;
  /** Where the values came from, for messages: `the environment` or the file's path. */
  readonly from: string;
}

/** The optional config file in the state folder: `KEY=value` lines, as in a `.env` file. */
export const configFileName = 'config.env';

const apiHint = 'create an app at https://my.telegram.org/apps and copy its api_id and api_hash';

/** The variables of the config file, or none if there is no file. */
async function readConfigFile(path: string): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ConfigError(`cannot read ${path}: ${describeError(error)}`);
  }
  return parseEnv(text) as Record<string, string>;
}

/** How settings are looked up: the environment first, then `<state>/config.env`. */
export interface SettingLookup {
  /** `in the environment or in <file>`, for messages. */
  readonly where: string;
  /** A setting's value, trimmed; an empty value counts as unset. */
  readonly value: (name: string) => string | undefined;
  /** A setting's value from the environment alone. */
  readonly fromEnvironment: (name: string) => string | undefined;
}

/**
 * Reads the settings of the environment and `<state>/config.env`: a variable set to nothing in the
 * environment is as good as unset, and the file's value counts.
 *
 * @throws ConfigError when the config file exists but cannot be read.
 */
export async function settingLookup(env: NodeJS.ProcessEnv, state: string): Promise<SettingLookup> {
  const file = join(state, configFileName);
  const fromFile = await readConfigFile(file);
  const set = (found: string | undefined) => (found === undefined || found.trim() === '' ? undefined : found.trim());
  return { where: `in the environment or in ${file}`, value: (name) => set(env[name]) ?? set(fromFile[name]), fromEnvironment: (name) => set(env[name]) };
}

/** The app's `api_id` and `api_hash`, and where the other settings are read from. */
interface TelegramApp extends SettingLookup {
  readonly apiId: number;
  readonly apiHash: string;
}

/**
 * Reads `TELEGRAM_API_ID` and `TELEGRAM_API_HASH` from the environment, else from
 * `<state>/config.env`: all that `unspool login` needs.
 */
export async function telegramApp(env: NodeJS.ProcessEnv, state: string): Promise<TelegramApp> {
  const { where, value, fromEnvironment } = await settingLookup(env, state);
  const apiId = value('TELEGRAM_API_ID');
  const apiHash = value('TELEGRAM_API_HASH');
  if (apiId === undefined || apiHash === undefined) {
    const missing = apiId === undefined ? 'TELEGRAM_API_ID' : 'TELEGRAM_API_HASH';
    throw new ConfigError(`${missing} is not set: ${apiHint}, and set TELEGRAM_API_ID and TELEGRAM_API_HASH ${where}`);
  }
  if (!/^[1-9]\d{0,9}$/.test(apiId) || Number(apiId) > 2 ** 31 - 1) throw new ConfigError(`TELEGRAM_API_ID must be the number my.telegram.org shows as api_id: ${apiHint}`);
  if (!/^[0-9a-f]{32}$/i.test(apiHash)) throw new ConfigError(`TELEGRAM_API_HASH must be the 32 hex digits my.telegram.org shows as api_hash: ${apiHint}`);
  return { apiId: Number(apiId), apiHash, where, value, fromEnvironment };
}

/**
 * Reads the Telegram settings: `TELEGRAM_API_ID`, `TELEGRAM_API_HASH`, and `TELEGRAM_BOT_TOKEN` or
 * `TELEGRAM_SESSION`, from the environment, else from `<state>/config.env`. A missing or malformed
 * value is a {@link ConfigError} that names the variable and says where to get it, never its value.
 *
 * @param env The environment (`process.env`).
 * @param state The state folder, where the config file may be.
 */
export async function telegramSettings(env: NodeJS.ProcessEnv, state: string): Promise<TelegramSettings> {
  const { apiId, apiHash, where, value, fromEnvironment } = await telegramApp(env, state);
  // The login is taken whole from one place: the environment if it names one, else the file.
  const loginFromEnvironment = fromEnvironment('TELEGRAM_BOT_TOKEN') !== undefined || fromEnvironment('TELEGRAM_SESSION') !== undefined;
  const login = loginFromEnvironment ? fromEnvironment : value;
  const bot = login('TELEGRAM_BOT_TOKEN');
  const session = login('TELEGRAM_SESSION');
  if (bot !== undefined && session !== undefined) {
    throw new ConfigError(`both TELEGRAM_BOT_TOKEN and TELEGRAM_SESSION are set ${where}: keep the one to send as`);
  }
  if (bot !== undefined) {
    if (!/^\d{1,20}:[\w-]{30,}$/.test(bot)) throw new ConfigError('TELEGRAM_BOT_TOKEN is malformed: it is the 123456:ABC… token @BotFather gives for your bot');
    return { apiId, apiHash, login: { bot }, from: where };
  }
  if (session !== undefined) {
    if (!/^1[A-Za-z0-9+/=_-]{100,}$/.test(session)) throw new ConfigError('TELEGRAM_SESSION is malformed: it is the session string `unspool login` prints');
    return { apiId, apiHash, login: { session }, from: where };
  }
  throw new ConfigError(`set TELEGRAM_BOT_TOKEN (from @BotFather) or TELEGRAM_SESSION (from \`unspool login\`) ${where}`);
}
