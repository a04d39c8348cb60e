import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/runCli.js';
import { createWorkspace, filesUnder, removeWorkspace, type Workspace } from '../support/workspace.js';

/**
 * Against real Telegram, only when asked for: set TELEGRAM_API_ID, TELEGRAM_API_HASH, one of
 * TELEGRAM_BOT_TOKEN or TELEGRAM_SESSION, and UNSPOOL_LIVE_CHAT (a chat this account may post
 * media in, such as `me` for a user or `@a_test_channel` for a bot that is its admin). The sample
 * archive is sent there once; a second run with the same state sends nothing.
 */
const { TELEGRAM_API_ID, TELEGRAM_API_HASH, TELEGRAM_BOT_TOKEN, TELEGRAM_SESSION, UNSPOOL_LIVE_CHAT } = process.env;
const configured = Boolean(TELEGRAM_API_ID && TELEGRAM_API_HASH && (TELEGRAM_BOT_TOKEN || TELEGRAM_SESSION) && UNSPOOL_LIVE_CHAT);

const sample = resolve('samples', 'sample.zip');
/** Files in samples/sample.zip (19 entries: one folder, one empty file that is skipped, and these). */
const sampleFiles = 17;

/** Files the run reported delivered on stderr (`--verbose` logs one JSON line per album). */
function deliveredFiles(stderr: string): number {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { event: string; files?: number })
    .filter((event) => event.event === 'delivered')
    .reduce((sum, event) => sum + (event.files ?? 0), 0);
}

describe.skipIf(!configured)('live: sends samples/sample.zip to real Telegram (set TELEGRAM_* and UNSPOOL_LIVE_CHAT to run)', () => {
  let workspace: Workspace;

  beforeAll(async () => {
    workspace = await createWorkspace();
  });

  afterAll(async () => {
    await removeWorkspace(workspace);
  });

  const send = () =>
    runCli(['send', sample, '--to', `telegram:${UNSPOOL_LIVE_CHAT}`, '--state', workspace.state, '--json', '--verbose', '--min-free', '1MB', '--caption', 'unspool live test: {path} ({index}/{total})'], {
      timeout: 240_000,
    });

  it('delivers every file of the sample with a fresh state and exits 0', { timeout: 300_000 }, async () => {
    const result = await send();
    expect(result.stderr.split('\n').filter((line) => line.startsWith('unspool:'))).toEqual([]);
    expect(result.code).toBe(0);
    expect(result.summary).toMatchObject({ entries: 19, directories: 1, delivered: sampleFiles, failed: [] });
    expect(result.summary?.skipped.map((skip) => skip.reason)).toEqual(['empty']);
    expect(deliveredFiles(result.stderr)).toBe(sampleFiles);
    expect(await filesUnder(resolve(workspace.state, 'tmp'))).toEqual([]);
  });

  it('sends nothing new when run again with the same state', { timeout: 300_000 }, async () => {
    const result = await send();
    expect(result.code).toBe(0);
    expect(result.summary).toMatchObject({ delivered: sampleFiles, failed: [] });
    expect(deliveredFiles(result.stderr)).toBe(0);
  });
});
