import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { configFileName, telegramApp, telegramSettings } from '../../src/telegram/telegramSettings.js';

const apiId = '1234567';
const apiHash = '0123456789abcdef0123456789ABCDEF';
/** Secrets with a mark no message has any business containing. */
const botToken = '7012345678:AAF-XyZzY_botToken0123456789abcdefgh';
const session = `1${'XyZzY'.repeat(30)}==`;

/** The ConfigError a promise fails with. */
async function refusal(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe('telegramSettings', () => {
  let state: string;

  beforeEach(async () => {
    state = await mkdtemp(join(tmpdir(), 'unspool-settings-'));
  });

  afterEach(async () => {
    await rm(state, { recursive: true, force: true });
  });

  const configFile = (text: string) => writeFile(join(state, configFileName), text);

  it('reads a bot login from the environment', async () => {
    const settings = await telegramSettings({ TELEGRAM_API_ID: apiId, TELEGRAM_API_HASH: apiHash, TELEGRAM_BOT_TOKEN: botToken }, state);
    expect(settings).toEqual({ apiId: 1_234_567, apiHash, login: { bot: botToken }, from: `in the environment or in ${join(state, 'config.env')}` });
  });

  it('reads a user login (session string) from the environment', async () => {
    const settings = await telegramSettings({ TELEGRAM_API_ID: apiId, TELEGRAM_API_HASH: apiHash, TELEGRAM_SESSION: session }, state);
    expect(settings.login).toEqual({ session });
  });

  it('names TELEGRAM_API_ID and my.telegram.org when the id is missing', async () => {
    const error = await refusal(telegramSettings({ TELEGRAM_API_HASH: apiHash, TELEGRAM_BOT_TOKEN: botToken }, state));
    expect(error.message).toMatch(/^TELEGRAM_API_ID is not set: /);
    expect(error.message).toContain('https://my.telegram.org/apps');
    expect(error.message).toContain(join(state, 'config.env'));
  });

  it('names TELEGRAM_API_HASH and my.telegram.org when only the hash is missing', async () => {
    const error = await refusal(telegramSettings({ TELEGRAM_API_ID: apiId, TELEGRAM_BOT_TOKEN: botToken }, state));
    expect(error.message).toMatch(/^TELEGRAM_API_HASH is not set: /);
    expect(error.message).toContain('my.telegram.org');
  });

  it('counts a value of only spaces as missing', async () => {
    const error = await refusal(telegramSettings({ TELEGRAM_API_ID: '   ', TELEGRAM_API_HASH: apiHash, TELEGRAM_BOT_TOKEN: botToken }, state));
    expect(error.message).toMatch(/^TELEGRAM_API_ID is not set/);
  });

  it.each(['abc', '0123', '12.5', '-5', '1e6', '1234567890123', '2147483648'])('refuses TELEGRAM_API_ID=%j, naming it and my.telegram.org', async (id) => {
    const error = await refusal(telegramSettings({ TELEGRAM_API_ID: id, TELEGRAM_API_HASH: apiHash, TELEGRAM_BOT_TOKEN: botToken }, state));
    expect(error.message).toMatch(/^TELEGRAM_API_ID must be the number my\.telegram\.org shows as api_id/);
  });

  it.each(['0123456789abcdef0123456789abcde', '0123456789abcdef0123456789abcdef0', 'g123456789abcdef0123456789abcdef'])(
    'refuses TELEGRAM_API_HASH=%j, naming it and my.telegram.org',
    async (hash) => {
      const error = await refusal(telegramSettings({ TELEGRAM_API_ID: apiId, TELEGRAM_API_HASH: hash, TELEGRAM_BOT_TOKEN: botToken }, state));
      expect(error.message).toMatch(/^TELEGRAM_API_HASH must be the 32 hex digits my\.telegram\.org shows as api_hash/);
      expect(error.message).not.toContain(hash);
    },
  );

  it('asks for TELEGRAM_BOT_TOKEN or TELEGRAM_SESSION when neither is set', async () => {
    const error = await refusal(telegramSettings({ TELEGRAM_API_ID: apiId, TELEGRAM_API_HASH: apiHash }, state));
    expect(error.message).toBe(`set TELEGRAM_BOT_TOKEN (from @BotFather) or TELEGRAM_SESSION (from \`unspool login\`) in the environment or in ${join(state, 'config.env')}`);
  });

  it('refuses both a bot token and a session: one login only', async () => {
    const error = await refusal(telegramSettings({ TELEGRAM_API_ID: apiId, TELEGRAM_API_HASH: apiHash, TELEGRAM_BOT_TOKEN: botToken, TELEGRAM_SESSION: session }, state));
    expect(error.message).toMatch(/^both TELEGRAM_BOT_TOKEN and TELEGRAM_SESSION are set/);
  });

  it.each(['123:short', 'AAF-XyZzY_botToken0123456789abcdefgh', '123456:has spaces inside the token 0123456789', ':AAF-XyZzY_botToken0123456789abcdefgh'])(
    'refuses the malformed bot token %j',
    async (token) => {
      const error = await refusal(telegramSettings({ TELEGRAM_API_ID: apiId, TELEGRAM_API_HASH: apiHash, TELEGRAM_BOT_TOKEN: token }, state));
      expect(error.message).toBe('TELEGRAM_BOT_TOKEN is malformed: it is the 123456:ABC… token @BotFather gives for your bot');
    },
  );

  it.each(['XyZzY', `2${'A'.repeat(120)}`, `1${'A'.repeat(99)}`, `1${'A'.repeat(60)} ${'A'.repeat(60)}`])('refuses the malformed session %j', async (text) => {
    const error = await refusal(telegramSettings({ TELEGRAM_API_ID: apiId, TELEGRAM_API_HASH: apiHash, TELEGRAM_SESSION: text }, state));
    expect(error.message).toBe('TELEGRAM_SESSION is malformed: it is the session string `unspool login` prints');
  });

  it('never puts a secret in an error message', async () => {
    const marked = 'XyZzY';
    const attempts: NodeJS.ProcessEnv[] = [
      { TELEGRAM_API_ID: apiId, TELEGRAM_API_HASH: apiHash, TELEGRAM_BOT_TOKEN: `123:${marked}` },
      { TELEGRAM_API_ID: apiId, TELEGRAM_API_HASH: apiHash, TELEGRAM_BOT_TOKEN: `${botToken} ${marked}` },
      { TELEGRAM_API_ID: apiId, TELEGRAM_API_HASH: apiHash, TELEGRAM_SESSION: `${marked}${session}` },
      { TELEGRAM_API_ID: apiId, TELEGRAM_API_HASH: apiHash, TELEGRAM_BOT_TOKEN: botToken, TELEGRAM_SESSION: session },
      { TELEGRAM_API_ID: apiId, TELEGRAM_API_HASH: `${marked}0123456789abcdef01234567`, TELEGRAM_BOT_TOKEN: botToken },
      { TELEGRAM_API_ID: `${marked}1`, TELEGRAM_API_HASH: apiHash, TELEGRAM_SESSION: session },
      { TELEGRAM_API_HASH: apiHash, TELEGRAM_BOT_TOKEN: botToken },
    ];
    const messages: string[] = [];
    for (const env of attempts) messages.push((await refusal(telegramSettings(env, state))).message);
    expect(messages).toHaveLength(attempts.length);
    for (const message of messages) expect(message).not.toContain(marked);
  });

  it('trims spaces and line ends around every value', async () => {
    const settings = await telegramSettings({ TELEGRAM_API_ID: ` ${apiId}\n`, TELEGRAM_API_HASH: `\t${apiHash} `, TELEGRAM_BOT_TOKEN: `${botToken}\r\n` }, state);
    expect(settings).toMatchObject({ apiId: 1_234_567, apiHash, login: { bot: botToken } });
  });

  it('reads the values from <state>/config.env, in .env format, when the environment has none', async () => {
    await configFile(['# from my.telegram.org', `TELEGRAM_API_ID=${apiId}`, '', `TELEGRAM_API_HASH="${apiHash}"`, `TELEGRAM_SESSION='${session}'  `, ''].join('\n'));
    const settings = await telegramSettings({}, state);
    expect(settings).toEqual({ apiId: 1_234_567, apiHash, login: { session }, from: `in the environment or in ${join(state, 'config.env')}` });
  });

  it('takes each variable from the environment over the same one in the file', async () => {
    await configFile(`TELEGRAM_API_ID=7654321\nTELEGRAM_API_HASH=${'f'.repeat(32)}\nTELEGRAM_BOT_TOKEN=${botToken}\n`);
    const settings = await telegramSettings({ TELEGRAM_API_ID: apiId }, state);
    expect(settings).toMatchObject({ apiId: 1_234_567, apiHash: 'f'.repeat(32), login: { bot: botToken } });
  });

  it('takes the login from the environment whole when it names one, over a session saved in the file', async () => {
    await configFile(`TELEGRAM_SESSION=${session}\n`);
    const settings = await telegramSettings({ TELEGRAM_API_ID: apiId, TELEGRAM_API_HASH: apiHash, TELEGRAM_BOT_TOKEN: botToken }, state);
    expect(settings.login).toEqual({ bot: botToken });
  });

  it('refuses a bot token and a session both in the same place', async () => {
    await configFile(`TELEGRAM_SESSION=${session}\nTELEGRAM_BOT_TOKEN=${botToken}\n`);
    const error = await refusal(telegramSettings({ TELEGRAM_API_ID: apiId, TELEGRAM_API_HASH: apiHash }, state));
    expect(error.message).toMatch(/^both TELEGRAM_BOT_TOKEN and TELEGRAM_SESSION are set in the environment or in /);
  });

  it('says it cannot read a config.env that is not a file', async () => {
    await mkdir(join(state, configFileName));
    const error = await refusal(telegramSettings({ TELEGRAM_API_ID: apiId, TELEGRAM_API_HASH: apiHash, TELEGRAM_BOT_TOKEN: botToken }, state));
    expect(error.message).toMatch(new RegExp(`^cannot read ${join(state, 'config.env').replace(/[.\\]/g, '\\$&')}: .*EISDIR`));
  });

  it('needs no state folder at all when everything is in the environment', async () => {
    const settings = await telegramSettings({ TELEGRAM_API_ID: apiId, TELEGRAM_API_HASH: apiHash, TELEGRAM_BOT_TOKEN: botToken }, join(state, 'not', 'made', 'yet'));
    expect(settings.login).toEqual({ bot: botToken });
  });

  // Reported bug: `env[name] ?? file[name]` lets an empty variable in the environment (as
  // `export TELEGRAM_API_ID=` leaves it) hide the value in config.env, and the error then says the
  // variable "is not set" though the file the message names has it.
  it('takes the file\'s value when the environment has the variable set to nothing', async () => {
    await configFile(`TELEGRAM_API_ID=${apiId}\nTELEGRAM_API_HASH=${apiHash}\nTELEGRAM_BOT_TOKEN=${botToken}\n`);
    const settings = await telegramSettings({ TELEGRAM_API_ID: '' }, state);
    expect(settings.apiId).toBe(1_234_567);
  });
});

describe('telegramApp', () => {
  let state: string;

  beforeEach(async () => {
    state = await mkdtemp(join(tmpdir(), 'unspool-app-'));
  });

  afterEach(async () => {
    await rm(state, { recursive: true, force: true });
  });

  it('needs only the api id and hash, as `unspool login` does', async () => {
    const app = await telegramApp({ TELEGRAM_API_ID: apiId, TELEGRAM_API_HASH: apiHash }, state);
    expect([app.apiId, app.apiHash]).toEqual([1_234_567, apiHash]);
    expect(app.value('TELEGRAM_SESSION')).toBeUndefined();
  });

  it('reads further values through value(), environment first, then the file, trimmed', async () => {
    await writeFile(join(state, configFileName), `TELEGRAM_API_ID=${apiId}\nTELEGRAM_API_HASH=${apiHash}\nTELEGRAM_SESSION= ${session} \nOTHER=file\n`);
    const app = await telegramApp({ OTHER: 'env' }, state);
    expect(app.value('TELEGRAM_SESSION')).toBe(session);
    expect(app.value('OTHER')).toBe('env');
  });

  it('names the missing variable and my.telegram.org', async () => {
    const error = await refusal(telegramApp({ TELEGRAM_API_ID: apiId }, state));
    expect(error.message).toMatch(/^TELEGRAM_API_HASH is not set: create an app at https:\/\/my\.telegram\.org\/apps/);
  });

  it('refuses a malformed id', async () => {
    const error = await refusal(telegramApp({ TELEGRAM_API_ID: 'twelve', TELEGRAM_API_HASH: apiHash }, state));
    expect(error.message).toMatch(/^TELEGRAM_API_ID must be the number/);
  });
});
