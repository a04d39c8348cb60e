import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadTelegram } from '../bot/telegramFile.js';
import { pngBytes } from '../support/media.js';
import { pseudoRandomBytes, sha256 } from '../support/sampleBytes.js';
import type { SeenAnswer } from '../support/telegramRecorder.js';
import { createWorkspace, manifestOnDisk, removeWorkspace, type Workspace } from '../support/workspace.js';
import { writeZip } from '../support/zipFixtures.js';
import type { SendProcessEvent, SendProcessPlan } from './sendProcess.js';

/** The built child entry; `npm test` runs `tsc` first, so it is as new as the sources. */
const sendProcessPath = resolve('dist', 'spec', 'telegram', 'sendProcess.js');

/** How a child run ended, and the sends it made, in order. */
interface ChildRun {
  readonly signal: NodeJS.Signals | null;
  readonly code: number | null;
  readonly sends: readonly (readonly string[])[];
  readonly summary?: Extract<SendProcessEvent, { summary: unknown }>['summary'];
  readonly stderr: string;
}

/** Runs `sendProcess.js` with a plan to its end (or its SIGKILL), with `UNSPOOL_CRASH_AT` if given. */
function runChild(plan: SendProcessPlan, crashAt?: string): Promise<ChildRun> {
  if (!existsSync(sendProcessPath)) throw new Error(`${sendProcessPath} is missing: build with \`npx tsc -p .\` first`);
  const env = { ...process.env, ...(crashAt ? { UNSPOOL_CRASH_AT: crashAt } : {}) };
  const child = spawn(process.execPath, [sendProcessPath, JSON.stringify(plan)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      // gramjs may write a line of its own; only the child's JSON lines are events.
      const events = stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as SendProcessEvent);
      const sends = events.flatMap((event) => ('send' in event ? [event.randomIds] : []));
      const summary = events.flatMap((event) => ('summary' in event ? [event.summary] : []))[0];
      resolve({ signal, code, sends, ...(summary ? { summary } : {}), stderr });
    });
  });
}

/** Bytes over the sink's limit, which with `split` go in pieces. */
const maxFileSize = 600_000;

/**
 * Two albums whose sends, together, are every kind the sink makes: photos in an album
 * (`sendMultiMedia`), then a photo Telegram refused as one, alone as a document (`sendMedia`);
 * documents in an album, then a file over the limit in three pieces (`sendMedia` each). The
 * pipeline never puts a file over the limit (a document) with photos, so one album cannot hold
 * all three.
 */
const files = [
  { name: 'a.png', data: pngBytes(64, 48, 1) },
  { name: 'b.png', data: pngBytes(64, 48, 2) },
  { name: 'refused.png', data: pngBytes(64, 48, 3) },
  { name: 'one.bin', data: pseudoRandomBytes(20_000, 'one') },
  { name: 'two.bin', data: pseudoRandomBytes(30_000, 'two') },
  { name: 'split.bin', data: pseudoRandomBytes(2 * maxFileSize + 12_345, 'split'), compress: false },
];
/** Sends in a run that nothing stops: the two albums, the refused photo, three pieces. */
const sendsPerRun = 6;

describe('the Telegram sink killed between the sends of an album', () => {
  let workspace: Workspace;
  let plan: SendProcessPlan;

  beforeEach(async () => {
    workspace = await createWorkspace();
    const archive = join(workspace.root, 'mixed.zip');
    await writeZip(archive, files);
    plan = { archive, state: workspace.state, serverFile: join(workspace.root, 'telegram.json'), refusedPhoto: 'refused.png', maxFileSize };
  });

  afterEach(async () => {
    await removeWorkspace(workspace);
  });

  /** Checks Telegram holds every byte of every file exactly once, and the summary counts them all. */
  const expectEveryByteOnce = (summary: ChildRun['summary']) => {
    expect(summary).toMatchObject({ entries: files.length, delivered: files.length, skipped: [], failed: [] });
    const messages = loadTelegram(plan.serverFile).messages;
    const whole = files.filter((file) => file.data.length <= maxFileSize);
    expect(messages.filter((message) => !message.fileName?.startsWith('split.bin.')).map((message) => [message.caption, message.sha256]).sort()).toEqual(
      whole.map((file) => [file.name, sha256(file.data)]).sort(),
    );
    const pieces = messages.filter((message) => message.fileName?.startsWith('split.bin.')).sort((a, b) => a.fileName!.localeCompare(b.fileName!));
    expect(pieces.map((piece) => piece.caption)).toEqual(['split.bin (1/3)', 'split.bin (2/3)', 'split.bin (3/3)']);
    const split = files.at(-1)!.data;
    expect(pieces.map((piece) => piece.sha256)).toEqual([0, 1, 2].map((i) => sha256(split.subarray(i * maxFileSize, (i + 1) * maxFileSize))));
    expect(messages.find((message) => message.caption === 'refused.png')).toMatchObject({ kind: 'document' });
    // Nothing in flight is left behind, nor a record of its sends.
    expect(manifestOnDisk(plan.state)).toMatchObject({ inFlight: {} });
    expect(manifestOnDisk(plan.state).sent).toBeUndefined();
  };

  /**
   * What the journal of delivered albums says of each file (by entry index, the last line per album
   * winning), against the ids of its messages in the chat: the same, or `sent-before` where
   * Telegram would not say.
   */
  const expectReceipts = (anyUnnamed: boolean) => {
    const folder = join(plan.state, 'manifests');
    const journal = readdirSync(folder).find((name) => name.endsWith('.albums.jsonl'))!;
    const lines = readFileSync(join(folder, journal), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { album: string; entries: number[]; receipt: string[] });
    const byEntry = new Map(lines.flatMap((line) => line.entries.map((entry, i) => [entry, line.receipt[i]!] as const)));
    const messages = loadTelegram(plan.serverFile).messages;
    files.forEach((file, index) => {
      const ids = messages.filter((message) => message.caption.replace(/ \(\d\/3\)$/, '') === file.name).sort((a, b) => a.id - b.id).map((message) => String(message.id));
      const receipt = byEntry.get(index)!.split('+');
      expect(receipt).toHaveLength(ids.length);
      receipt.forEach((id, i) => expect(anyUnnamed && id === 'sent-before' ? ids[i] : id).toBe(ids[i]));
    });
  };

  it(`makes ${sendsPerRun} sends when nothing stops it`, async () => {
    const run = await runChild(plan);
    expect(run.stderr).toBe('');
    expect(run.sends).toHaveLength(sendsPerRun);
    expectEveryByteOnce(run.summary);
    expectReceipts(false);
  });

  /**
   * Kills after every send in turn, then runs again: what the kill cut short is posted, each byte
   * once, and the sends recorded as answered before the kill are not made again.
   */
  const killThenRerun = async (kill: { killAfterSend: number } | { crashAt: string }, seenAnswer: SeenAnswer) => {
    const killed = await runChild({ ...plan, ...('killAfterSend' in kill ? kill : {}) }, 'crashAt' in kill ? kill.crashAt : undefined);
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    const rerun = await runChild({ ...plan, seenAnswer });
    expect(rerun.code, rerun.stderr).toBe(0);
    expectEveryByteOnce(rerun.summary);
    expectReceipts(seenAnswer !== 'messages');
    return { killed, rerun };
  };

  // The seen random_ids answered with no message named, for the album sends (1 and 3) only: a
  // single message is proven posted by any answer, whatever it names.
  const lost: [SeenAnswer, number][] = [
    ...(['messages', 'RANDOM_ID_DUPLICATE'] as const).flatMap((seen) => Array.from({ length: sendsPerRun }, (_, i): [SeenAnswer, number] => [seen, i + 1])),
    ['no-ids', 1],
    ['no-ids', 3],
  ];
  it.each(lost)('with seen random_ids answered as %s, killed once Telegram acted on send %i: a rerun sends it again and the rest, each byte once', async (seenAnswer, n) => {
    const { killed, rerun } = await killThenRerun({ killAfterSend: n }, seenAnswer);
    expect(killed.sends).toHaveLength(n);
    // Sends answered before the kill are not made again; the one whose answer it lost is, first,
    // under the same random_ids.
    const again = new Set(rerun.sends.flat());
    for (const earlier of killed.sends.slice(0, -1)) for (const randomId of earlier) expect(again.has(randomId)).toBe(false);
    expect(rerun.sends[0]).toEqual(killed.sends.at(-1));
  });

  // After an album send, between two pieces, and after the last send, before the checkpoint.
  it.each([1, 4, 6])('killed once the answer to send %i is recorded: a rerun makes none of the sends made before', async (n) => {
    const { killed, rerun } = await killThenRerun({ crashAt: `telegram-sent:${n}` }, 'messages');
    expect(killed.sends).toHaveLength(n);
    expect(rerun.sends).toHaveLength(sendsPerRun - n);
    expect(rerun.sends.flat().filter((randomId) => killed.sends.flat().includes(randomId))).toEqual([]);
  });
});
