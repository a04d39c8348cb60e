import { mkdir, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CliResult, runCli, sendArgs } from '../support/runCli.js';
import { jpegBytes, sha256, textBytes } from '../support/sampleBytes.js';
import { createWorkspace, deliveredDigests, filesUnder, removeWorkspace, type Workspace } from '../support/workspace.js';
import { writeRawZip } from '../support/zipFixtures.js';

/** Distinctive enough that finding it anywhere can only mean it leaked. */
const password = 'Zq7-open-sesame-4471';

const plain = { name: 'plain.jpg', data: jpegBytes(3_000, 'plain') };
const secret = { name: 'secret.jpg', data: jpegBytes(5_000, 'secret') };
const other = { name: 'other.txt', data: textBytes(2_000, 'other') };

describe('unspool send --password', () => {
  let workspace: Workspace;
  let archive: string;

  beforeEach(async () => {
    workspace = await createWorkspace();
    archive = join(workspace.root, 'locked.zip');
    // other.txt has another password, so that the run also reports a failure.
    await writeRawZip(archive, [plain, { ...secret, method: 0, password }, { ...other, password: 'not the same' }]);
    await mkdir(join(workspace.root, 'os-tmp'));
  });

  afterEach(async () => {
    await removeWorkspace(workspace);
  });

  const unspool = (env: NodeJS.ProcessEnv, ...more: string[]) => {
    const osTmp = join(workspace.root, 'os-tmp');
    return runCli(sendArgs(archive, workspace.out, workspace.state, ...more), { env: { TMPDIR: osTmp, TMP: osTmp, TEMP: osTmp, ...env } });
  };

  /** Checks what the run delivered and reported: secret.jpg decrypted, other.txt failed, exit 1. */
  async function expectDecrypted(result: CliResult) {
    expect(result.code).toBe(1);
    expect(await deliveredDigests(workspace.out)).toEqual([plain, secret].map(({ name, data }) => ({ entry: name, sha256: sha256(data) })));
    expect(result.summary).toMatchObject({ delivered: 2, skipped: [], failed: [{ entry: 'other.txt', reason: 'wrong-password', detail: 'the password is wrong' }] });
    expect(result.stderr).toContain(`unspool: ${archive}: other.txt: the password is wrong\n`);
  }

  it('decrypts with --password, and leaves no trace of it in the output, the manifest or any file it wrote', async () => {
    const result = await unspool({}, '--password', password, '--verbose');
    await expectDecrypted(result);
    const written = [
      ...(await filesUnder(workspace.state)).map((file) => join(workspace.state, file)),
      ...(await filesUnder(workspace.out)).map((file) => join(workspace.out, file)),
    ];
    expect(written.filter((file) => basename(dirname(file)) === 'manifests')).not.toEqual([]);
    const traces = [Buffer.from(password), Buffer.from(password, 'utf16le'), Buffer.from(Buffer.from(password).toString('base64')), Buffer.from(Buffer.from(password).toString('hex'))];
    const leaks = [];
    for (const [where, bytes] of [['stdout', Buffer.from(result.stdout)], ['stderr', Buffer.from(result.stderr)], ...(await Promise.all(written.map(async (file) => [file, await readFile(file)] as const)))] as const) {
      if (traces.some((trace) => bytes.includes(trace))) leaks.push(where);
    }
    expect(leaks).toEqual([]);
  });

  it('reads the password from UNSPOOL_PASSWORD when --password is not given', async () => {
    await expectDecrypted(await unspool({ UNSPOOL_PASSWORD: password }));
  });

  it('still reads UNSPOOL_ZIP_PASSWORD, its first name, when neither --password nor UNSPOOL_PASSWORD is given', async () => {
    await expectDecrypted(await unspool({ UNSPOOL_ZIP_PASSWORD: password }));
  });

  it('takes UNSPOOL_PASSWORD over UNSPOOL_ZIP_PASSWORD', async () => {
    await expectDecrypted(await unspool({ UNSPOOL_PASSWORD: password, UNSPOOL_ZIP_PASSWORD: 'stale' }));
  });

  it('takes --password over UNSPOOL_ZIP_PASSWORD', async () => {
    await expectDecrypted(await unspool({ UNSPOOL_ZIP_PASSWORD: 'stale' }, '--password', password));
  });

  it('refuses an empty password with exit 2, reading nothing', async () => {
    const result = await unspool({}, '--password', '');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^unspool: option '--password <password>' argument '' is invalid\. expected a non-empty password\n/);
    expect(await filesUnder(workspace.out)).toEqual([]);
  });
});
