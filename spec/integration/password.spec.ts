import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SendOptions } from '../../src/pipeline.js';
import { dirSink } from '../../src/sinks/dirSink.js';
import { runSend, stepsOf } from '../support/runSend.js';
import { jpegBytes, pseudoRandomBytes, sha256, textBytes } from '../support/sampleBytes.js';
import { createWorkspace, deliveredDigests, filesUnder, removeWorkspace, type Workspace } from '../support/workspace.js';
import { wrongPasswordPassingCheck, zipCryptoEncrypt } from '../support/zipCrypto.js';
import { type RawZipEntry, writeRawZip } from '../support/zipFixtures.js';

const password = 'correct horse';

const plain = { name: 'plain.jpg', data: jpegBytes(4_000, 'plain') };
/** Encrypted with the password: stored, deflated with a data descriptor, and one over 1 MiB. */
const locked = [
  { name: 'secret.jpg', data: jpegBytes(6_000, 'secret'), method: 0, password },
  { name: 'notes.txt', data: textBytes(20_000, 'notes'), method: 8, password, descriptor: true },
  { name: 'big.bin', data: pseudoRandomBytes(1_500_000, 'big'), method: 8, password },
] as const satisfies readonly RawZipEntry[];
/** An entry that no password opens: PKWARE strong encryption (flag bit 6). WinZip AES is in zipAes.spec.ts. */
const aes = [{ name: 'strong.txt', data: 'strong', encrypted: true, flags: 0x40 }];
const aesSkipped = [{ entry: 'strong.txt', reason: 'encrypted-aes' }];

const digests = (entries: readonly { name: string; data: Uint8Array }[]) =>
  entries.map(({ name, data }) => ({ entry: name, sha256: sha256(data) })).sort((a, b) => a.entry.localeCompare(b.entry));
const reasons = (items: readonly { entry: string; reason: string }[]) => items.map(({ entry, reason }) => ({ entry, reason }));

describe('password-protected zips', () => {
  let workspace: Workspace;
  let archive: string;

  beforeEach(async () => {
    workspace = await createWorkspace();
    archive = join(workspace.root, 'locked.zip');
  });

  afterEach(async () => {
    await removeWorkspace(workspace);
  });

  const send = async (options: Partial<SendOptions> = {}) =>
    runSend(archive, { sink: await dirSink(workspace.out), state: workspace.state, ...options });

  it('delivers encrypted entries byte for byte with the right password, stored and deflated, one over 1 MiB', async () => {
    await writeRawZip(archive, [plain, ...locked, ...aes]);
    const { summary } = await send({ password });
    expect(await deliveredDigests(workspace.out)).toEqual(digests([plain, ...locked]));
    expect(summary.failed).toEqual([]);
    expect(await filesUnder(join(workspace.state, 'tmp'))).toEqual([]);
  });

  it('skips strong-encryption entries as encrypted-aes, with or without a password', async () => {
    await writeRawZip(archive, [plain, ...aes]);
    const { summary } = await send({ password });
    expect(summary.skipped).toEqual(aesSkipped.map((item) => ({ ...item, detail: expect.stringMatching(/^PKWARE strong encryption: not supported/) })));
    expect(await deliveredDigests(workspace.out)).toEqual(digests([plain]));
  });

  it('fails every encrypted entry as wrong-password with a wrong password, and delivers the others', async () => {
    await writeRawZip(archive, [plain, ...locked, ...aes]);
    const { summary } = await send({ password: 'incorrect horse' });
    expect(summary.failed).toEqual(locked.map(({ name }) => ({ entry: name, reason: 'wrong-password', detail: 'the password is wrong' })));
    expect(reasons(summary.skipped)).toEqual(aesSkipped);
    expect(await deliveredDigests(workspace.out)).toEqual(digests([plain]));
    expect(await filesUnder(join(workspace.state, 'tmp'))).toEqual([]);
  });

  it('finds out by the CRC-32 a wrong password that passes the one-byte header check', async () => {
    const data = textBytes(3_000, 'lucky');
    const check = crc32(data) >>> 24;
    const wrong = wrongPasswordPassingCheck(zipCryptoEncrypt(data, password, check), check, password);
    await writeRawZip(archive, [plain, { name: 'lucky.txt', data, method: 0, password }]);
    const { summary } = await send({ password: wrong });
    expect(summary.failed).toEqual([
      { entry: 'lucky.txt', reason: 'wrong-password', detail: expect.stringMatching(/^the password is wrong, or the entry is corrupt: CRC-32 /) },
    ]);
    expect(await deliveredDigests(workspace.out)).toEqual(digests([plain]));
  });

  it('skips encrypted entries without a password, then delivers them, and only them, when run again with it', async () => {
    await writeRawZip(archive, [plain, ...locked, ...aes]);
    const first = await send();
    expect(first.summary.skipped).toEqual([
      ...locked.map(({ name }) => ({ entry: name, reason: 'encrypted', detail: 'password-protected; give --password (or /pass to the bot)' })),
      ...aesSkipped.map((item) => ({ ...item, detail: expect.any(String) })),
    ]);
    expect(await deliveredDigests(workspace.out)).toEqual(digests([plain]));

    const second = await send({ password });
    expect(stepsOf(second.steps, 'opened')[0]).toMatchObject({ settled: 1 + aes.length });
    const deliveredNow = stepsOf(second.steps, 'delivered').flatMap((step) => step.album.files.map((file) => file.entry.name));
    expect(deliveredNow.sort()).toEqual(locked.map(({ name }) => name).sort());
    expect(await deliveredDigests(workspace.out)).toEqual(digests([plain, ...locked]));
    expect(second.summary).toMatchObject({ entries: 5, delivered: 4, failed: [] });
    expect(reasons(second.summary.skipped)).toEqual(aesSkipped);
  });

  it('attempts again with the right password what a wrong one failed, and leaves it alone without one', async () => {
    await writeRawZip(archive, [plain, ...locked]);
    await send({ password: 'incorrect horse' });
    const without = await send();
    expect(without.steps.filter((step) => ['delivered', 'skipped', 'failed'].includes(step.kind))).toEqual([]);
    const right = await send({ password });
    expect(right.summary).toMatchObject({ delivered: 4, skipped: [], failed: [] });
    expect(await deliveredDigests(workspace.out)).toEqual(digests([plain, ...locked]));
  });

  it('counts an encrypted entry against free space only when a password will decrypt it', async () => {
    await writeRawZip(archive, [locked[2]]);
    // Room for the 1.5 MB entry above the 1 MB kept free, on a volume too small to ever hold both.
    const probe = async () => ({ free: 2_000_000, size: 2_400_000 });
    const without = await send({ probe });
    expect(reasons(without.summary.skipped)).toEqual([{ entry: 'big.bin', reason: 'encrypted' }]);
    const withPassword = await send({ probe, password });
    expect(reasons(withPassword.summary.failed)).toEqual([{ entry: 'big.bin', reason: 'no-room' }]);
  });
});
