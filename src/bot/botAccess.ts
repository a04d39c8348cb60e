import { ConfigError } from '../errors.js';
import { settingLookup } from '../telegram/telegramSettings.js';

/** Who may use the bot, and where albums go by default. */
export interface BotAccess {
  /** Telegram user ids, as decimal text: only these are answered. */
  readonly allowedUsers: ReadonlySet<string>;
  /** Where albums go when `/send` names no chat; absent: the chat the command was given in. */
  readonly defaultChat?: string;
}

const findYourId =
  'set UNSPOOL_ALLOWED_USERS to your numeric Telegram user id (several: comma-separated). To find it, message @userinfobot, or start the bot anyway with UNSPOOL_ALLOWED_USERS=0, message it, and read your id in its log line "refused"';

/**
 * Reads `UNSPOOL_ALLOWED_USERS` (numeric user ids, separated by commas or spaces) and
 * `UNSPOOL_CHAT` (the default destination), from the environment, else from `<state>/config.env`.
 *
 * @throws ConfigError when no user is allowed, or an entry is not a numeric id (usernames change
 * hands, so they are not accepted).
 */
export async function botAccess(env: NodeJS.ProcessEnv, state: string): Promise<BotAccess> {
  const { value, where } = await settingLookup(env, state);
  const listed = (value('UNSPOOL_ALLOWED_USERS') ?? '').split(/[\s,]+/).filter(Boolean);
  if (listed.length === 0) throw new ConfigError(`no one may use the bot: ${findYourId}; ${where}`);
  const wrong = listed.find((id) => !/^\d{1,20}$/.test(id));
  if (wrong !== undefined) throw new ConfigError(`UNSPOOL_ALLOWED_USERS takes numeric user ids, not "${wrong}" (usernames change hands): ${findYourId}`);
  const defaultChat = value('UNSPOOL_CHAT');
  return { allowedUsers: new Set(listed.filter((id) => id !== '0')), ...(defaultChat ? { defaultChat } : {}) };
}
