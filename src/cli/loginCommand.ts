import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import writeFileAtomic from 'write-file-atomic';
import { ConfigError, UnreachableError } from '../errors.js';
import { newTelegramClient } from '../telegram/connectTelegram.js';
import { configFileName, telegramApp } from '../telegram/telegramSettings.js';
import { describeTelegramError } from '../telegram/telegramErrors.js';
import { watchTelegramNetwork } from '../telegram/telegramNetwork.js';

/** Options of `unspool login`. */
export interface LoginCommandOptions {
  state: string;
  save: boolean;
}

/** Writes `TELEGRAM_SESSION=…` into the config file, keeping its other lines; readable only by its owner. */
async function saveSession(file: string, session: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const earlier = await readFile(file, 'utf8').catch(() => '');
  const kept = earlier.split('\n').filter((line) => line.trim() !== '' && !/^\s*(export\s+)?TELEGRAM_SESSION\s*=/.test(line));
  await writeFileAtomic(file, `${[...kept, `TELEGRAM_SESSION=${session}`].join('\n')}\n`, { mode: 0o600, fsync: true });
}

/**
 * Runs `unspool login`: logs in to Telegram as a user, asking on the terminal for the phone number,
 * the code Telegram sends, and the 2FA password if one is set, then prints the session string (or
 * stores it in `<state>/config.env` with `--save`). Prompts go to stderr, so stdout holds only the
 * session string. Needs `TELEGRAM_API_ID` and `TELEGRAM_API_HASH`.
 *
 * @return The exit code.
 */
export async function loginCommand(options: LoginCommandOptions): Promise<number> {
  const app = await telegramApp(process.env, options.state);
  const prompt = createInterface({ input: process.stdin, output: process.stderr, terminal: process.stdin.isTTY });
  const ask = async (question: string) => (await prompt.question(question)).trim();
  const client = newTelegramClient(app);
  // Without a network gramjs would leave the login waiting for good: a minute is plenty at a prompt.
  const network = watchTelegramNetwork(client, { giveUpAfter: 60_000, quietFor: 3_000, onChange: (state) => {
    if (!state.up) process.stderr.write('Cannot reach Telegram yet: waiting for the network (a minute at most)…\n');
  } });
  try {
    await network.ready();
    await network.guard(client.start({
      phoneNumber: () => ask('Phone number (international format, +…): '),
      phoneCode: () => ask('The code Telegram sent you: '),
      password: (hint) => ask(`2FA password${hint ? ` (hint: ${hint})` : ''}: `),
      onError: async (error) => {
        process.stderr.write(`unspool: ${describeTelegramError(error)}\n`);
        return false;
      },
    }));
    const session = String(client.session.save());
    if (options.save) {
      const file = join(options.state, configFileName);
      await saveSession(file, session);
      process.stderr.write(`Logged in; the session is in ${file} (keep it secret: it is your account)\n`);
    } else {
      process.stderr.write('Logged in. Keep this session string secret: it is your account. Set it as TELEGRAM_SESSION:\n');
      process.stdout.write(`${session}\n`);
    }
    return 0;
  } catch (error) {
    if (error instanceof UnreachableError) throw new UnreachableError(`${error.message}: check the network and run \`unspool login\` again`);
    throw new ConfigError(`login failed: ${describeTelegramError(error)}`);
  } finally {
    prompt.close();
    network.close();
    await client.destroy().catch(() => undefined);
  }
}
