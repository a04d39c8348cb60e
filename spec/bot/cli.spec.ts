import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../support/runCli.js';
import { createWorkspace, removeWorkspace, type Workspace } from '../support/workspace.js';

/** Settings that would let the bot log in, were Telegram reachable; each test breaks one. */
const app = { TELEGRAM_API_ID: '12345', TELEGRAM_API_HASH: '0123456789abcdef0123456789abcdef', TELEGRAM_SESSION: '', TELEGRAM_BOT_TOKEN: '' };
const token = '123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

describe('unspool bot', () => {
  let workspace: Workspace;

  beforeEach(async () => {
    workspace = await createWorkspace();
  });

  afterEach(async () => {
    await removeWorkspace(workspace);
  });

  it('refuses to start with no allowed users, exit 2, saying how to find your id', async () => {
    const result = await runCli(['bot', '--state', workspace.state], { env: { ...app, TELEGRAM_BOT_TOKEN: token, UNSPOOL_ALLOWED_USERS: '' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^unspool: no one may use the bot: set UNSPOOL_ALLOWED_USERS to your numeric Telegram user id .*@userinfobot/);
    expect(result.stderr).not.toContain(token);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('refuses usernames in the allowed users, which change hands', async () => {
    const result = await runCli(['bot', '--state', workspace.state], { env: { ...app, TELEGRAM_BOT_TOKEN: token, UNSPOOL_ALLOWED_USERS: '4242,@someone' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/UNSPOOL_ALLOWED_USERS takes numeric user ids, not "@someone"/);
  });

  it('reads the allowed users from <state>/config.env, and refuses to run as a user account', async () => {
    await mkdir(workspace.state, { recursive: true });
    await writeFile(join(workspace.state, 'config.env'), `UNSPOOL_ALLOWED_USERS=4242\nTELEGRAM_SESSION=1${'A'.repeat(200)}\n`);
    const result = await runCli(['bot', '--state', workspace.state], { env: { ...app, UNSPOOL_ALLOWED_USERS: '' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^unspool: unspool bot logs in as a bot: set TELEGRAM_BOT_TOKEN \(from @BotFather\)/);
    expect(result.stderr).not.toContain('AAAA');
  });

  it('documents its options in --help', async () => {
    const result = await runCli(['bot', '--help']);
    expect(result.code).toBe(0);
    for (const option of ['--state', '--jobs', '--min-free', '--album-size', '--retries', '--recheck-every', '--caption', '--split', '--status-every', '--verbose']) {
      expect(result.stdout).toContain(option);
    }
  });
});
