import { resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../support/runCli.js';
import { createWorkspace, filesUnder, removeWorkspace, type Workspace } from '../support/workspace.js';

const sample = resolve('samples', 'sample.zip');

/** An environment without Telegram settings: runCli merges process.env, so each is set to nothing. */
const noTelegram: NodeJS.ProcessEnv = { TELEGRAM_API_ID: '', TELEGRAM_API_HASH: '', TELEGRAM_BOT_TOKEN: '', TELEGRAM_SESSION: '' };

describe('unspool send --to telegram:…', () => {
  let workspace: Workspace;

  beforeEach(async () => {
    workspace = await createWorkspace();
  });

  afterEach(async () => {
    await removeWorkspace(workspace);
  });

  const send = (to: string, env: NodeJS.ProcessEnv) => runCli(['send', sample, '--to', to, '--state', workspace.state, '--json', '--min-free', '1MB'], { env });

  /** A refused start leaves nothing behind: no temp files, no manifest. */
  async function expectNothingWritten() {
    expect(await filesUnder(workspace.state)).toEqual([]);
  }

  it('exits 2 with one line naming TELEGRAM_API_ID when no Telegram settings are given', async () => {
    const result = await send('telegram:@somechat', noTelegram);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^unspool: TELEGRAM_API_ID is not set: .*my\.telegram\.org/);
    await expectNothingWritten();
  });

  it('exits 2 on a malformed bot token without printing it', async () => {
    const token = '123:short';
    const result = await send('telegram:@somechat', { ...noTelegram, TELEGRAM_API_ID: '1234567', TELEGRAM_API_HASH: '0123456789abcdef0123456789abcdef', TELEGRAM_BOT_TOKEN: token });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('unspool: TELEGRAM_BOT_TOKEN is malformed: it is the 123456:ABC… token @BotFather gives for your bot\n');
    expect(result.stdout).not.toContain(token);
    expect(result.stderr).not.toContain(token);
    await expectNothingWritten();
  });

  it('exits 2 on --to telegram: with no chat', async () => {
    const result = await send('telegram:', noTelegram);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('unspool: --to "telegram:": expected dir:<folder> or telegram:<chat>\n');
    await expectNothingWritten();
  });

  it('reads the settings from <state>/config.env and names that file when one is missing', async () => {
    const result = await send('telegram:@somechat', { ...noTelegram, TELEGRAM_API_ID: '1234567' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^unspool: TELEGRAM_API_HASH is not set: /);
    expect(result.stderr).toContain(`${workspace.state}/config.env`);
  });
});

describe('unspool --help', () => {
  it('mentions the Telegram destination', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    const help = result.stdout.replace(/\s+/g, ' ');
    expect(help).toMatch(/^Usage: unspool /);
    expect(help).toMatch(/ send \[options\] <archive> deliver every entry/);
    expect(help).toMatch(/ login \[options\] log in to Telegram as a user/);
  });

  it('send --help lists telegram:<chat> and --caption with its placeholders', async () => {
    const result = await runCli(['send', '--help']);
    expect(result.code).toBe(0);
    // Commander wraps help to the terminal's width: compare with the line breaks taken out.
    const help = result.stdout.replace(/\s+/g, ' ');
    expect(help).toContain('--to <destination> where albums go: dir:<folder>, or telegram:<@name|id|-100id|me>');
    expect(help).toContain('--caption <template> Telegram caption: {name} {path} {archive} {index} {total} (default: "{path}")');
  });
});
