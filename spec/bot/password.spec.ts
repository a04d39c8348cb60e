import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pngBytes } from '../support/media.js';
import { sha256 } from '../support/sampleBytes.js';
import { createWorkspace, filesUnder, removeWorkspace, type Workspace } from '../support/workspace.js';
import { writeRawZip } from '../support/zipFixtures.js';
import { type BotHarness, startTestBot } from './support.js';

describe('the bot with password-protected zips', () => {
  let workspace: Workspace;
  let harness: BotHarness | undefined;

  beforeEach(async () => {
    workspace = await createWorkspace();
  });

  afterEach(async () => {
    await harness?.bot.stop();
    harness = undefined;
    await removeWorkspace(workspace);
  });

  it('delivers the rest, asks for the password, says when it is wrong, and delivers the locked files with the right one', async () => {
    const open = Array.from({ length: 3 }, (_, i) => ({ name: `open-${i}.png`, data: pngBytes(20 + i, 20, i) }));
    const locked = Array.from({ length: 2 }, (_, i) => ({ name: `locked-${i}.png`, data: pngBytes(40 + i, 20, 10 + i), password: 'hunter2 and more' }));
    const archive = join(workspace.root, 'protected.zip');
    await writeRawZip(archive, [...open, ...locked]);
    harness = await startTestBot(workspace.state);
    harness.say(`/send ${archive}`);
    await harness.reply(/#1 protected\.zip: done/);
    await harness.reply(/^protected\.zip has 2 password-protected files: reply \/pass <password>$/);
    expect(harness.server.messages.map((message) => message.sha256).sort()).toEqual(open.map((file) => sha256(file.data)).sort());

    let since = harness.replies().length;
    const wrongId = harness.say('/pass not it');
    await harness.reply(/^Trying the password on 2 files of #1 protected\.zip\.$/, since);
    await harness.reply(/^The password is wrong for 2 files of protected\.zip: reply \/pass <password>$/, since);
    expect(harness.server.messages).toHaveLength(3);

    since = harness.replies().length;
    const rightId = harness.say('/pass hunter2 and more');
    await harness.reply(/#1 protected\.zip: done.*5 delivered in 2 albums, 0 skipped, 0 failed/, since);
    expect(harness.server.messages.map((message) => message.sha256).sort()).toEqual([...open, ...locked].map((file) => sha256(file.data)).sort());
    // The messages holding the passwords are deleted from the chat, and nothing keeps the words.
    expect(harness.server.deleted).toEqual(expect.arrayContaining([wrongId, rightId]));
    const kept = [await readFile(join(workspace.state, 'bot', 'queue.json'), 'utf8'), JSON.stringify(harness.logs)];
    for (const name of await filesUnder(join(workspace.state, 'manifests'))) kept.push(await readFile(join(workspace.state, 'manifests', name), 'utf8'));
    for (const text of kept) {
      expect(text).not.toContain('hunter2');
      expect(text).not.toContain('not it');
    }
  });

  it('answers /pass when no archive is waiting for one', async () => {
    harness = await startTestBot(workspace.state);
    harness.say('/pass whatever');
    await harness.reply(/^No archive here is waiting for a password\.$/);
  });
});
