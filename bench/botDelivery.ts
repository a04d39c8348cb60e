import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BotDeliveryResult } from './botDeliveryChild.js';
import { peakUsage } from './diskUsage.js';
import type { Fixtures } from './fixtures.js';
import { flushWrites, measure, type Measurement } from './measure.js';
import { megabytes, type Row, seconds, table } from './report.js';
import { uploadRssTarget } from './telegramUpload.js';

const child = fileURLToPath(new URL('./botDeliveryChild.js', import.meta.url));

/** One run of the bot over the camera-roll zip. */
interface BotRun {
  readonly measurement: Measurement;
  /** The most bytes seen at once under `<state>/tmp`, polled every ~10 ms. */
  readonly peakTempBytes: number;
  /** What the child printed, or why there is nothing. */
  readonly result: BotDeliveryResult | { readonly error: string };
}

/** Runs the bot child once on a fresh state folder, sampling its temp folder, then deletes the folder. */
async function runOne(archive: string, cacheDir: string, timeWrapper: string | undefined): Promise<BotRun> {
  const state = join(cacheDir, 'run-bot-state');
  await rm(state, { recursive: true, force: true });
  flushWrites();
  const temp = peakUsage(join(state, 'tmp'));
  const onTick = async () => {
    await temp.sample();
  };
  try {
    const measurement = await measure({ command: process.execPath, args: [child, archive, state] }, { onTick, timeWrapper });
    // gramjs writes lines of its own to stdout; the child's result is the last JSON line.
    const last = measurement.stdout.trimEnd().split('\n').reverse().find((line) => line.startsWith('{'));
    const result =
      measurement.code === 0 && last
        ? (JSON.parse(last) as BotDeliveryResult)
        : { error: `exit ${measurement.signal ?? measurement.code}: ${measurement.stderr.trim().split('\n').at(-1) ?? ''}` };
    return { measurement, peakTempBytes: temp.peak.bytes, result };
  } finally {
    await rm(state, { recursive: true, force: true });
  }
}

function row(run: BotRun, at: number, archiveBytes: number): Row {
  const { measurement, result } = run;
  const done = 'error' in result ? undefined : result;
  const rusage = measurement.rusage;
  return {
    run: `bot #${at + 1}`,
    'archive MB': megabytes(archiveBytes),
    'send→report s': done ? done.seconds.toFixed(2) : '-',
    'uploaded MB': done ? megabytes(done.uploadedBytes) : '-',
    'MB/s': done ? (done.uploadedBytes / 1e6 / done.seconds).toFixed(0) : '-',
    'posted MB': done ? megabytes(done.bytes) : '-',
    'process s': seconds(measurement.wallMs),
    'cpu s': rusage ? (rusage.userSeconds + rusage.systemSeconds).toFixed(2) : '-',
    'idle RSS MB': done ? megabytes(done.idleRssBytes) : '-',
    'peak RSS MB': megabytes(measurement.memory.peakBytes),
    'peak temp MB': megabytes(run.peakTempBytes),
    albums: done ? String(done.albums) : '-',
    messages: done ? String(done.messages) : '-',
    'status edits': done ? String(done.statusEdits) : '-',
    exit: measurement.signal ?? String(measurement.code),
  };
}

/**
 * Runs `startBot` in a child process (see `botDeliveryChild.ts`) over the camera-roll zip, `runs`
 * times, each on a fresh state folder: the owner sends "/send <zip>" and "/status", and the child
 * waits for the end-of-job report. Reports, per run, the time from `/send` to the report, the
 * bot's RSS when idle after start and its peak RSS (against the 150 MB target of the Telegram
 * upload), the peak temp bytes, the albums and messages posted, and the edits of the live
 * `/status` message.
 *
 * @param fixtures The archives (the zip is sent).
 * @param archiveBytes The zip's size.
 * @param cacheDir Where the state folder goes (`bench/.cache`).
 * @param timeWrapper GNU time, when installed, for the CPU seconds of the run.
 * @param runs Runs, one after the other.
 * @param progress Progress lines.
 * @return The report's lines.
 */
export async function runBotDelivery(
  fixtures: Fixtures,
  archiveBytes: number,
  cacheDir: string,
  timeWrapper: string | undefined,
  runs: number,
  progress: (line: string) => void,
): Promise<string[]> {
  const done: BotRun[] = [];
  for (let at = 1; at <= runs; at++) {
    progress(`bot ${at}/${runs}: /send ${fixtures.zip} to the bot over the recorded client ...`);
    done.push(await runOne(fixtures.zip, cacheDir, timeWrapper));
  }
  const lines = table(done.map((run, at) => row(run, at, archiveBytes)));
  lines.push(
    '',
    'send→report: from handing "/send" over to Telegram taking the end-of-job report; MB/s: every upload part over that time; ' +
      'posted: the media in messages; process: the child from spawn to exit (start, 1 s idle, the job, the last /status edit)',
  );
  for (const [at, { result }] of done.entries()) {
    const name = `bot #${at + 1}`;
    if ('error' in result) {
      lines.push(`${name}: failed (${result.error})`);
      continue;
    }
    lines.push(`${name}: report "${result.report}"`);
    if (Object.keys(result.notDelivered).length) lines.push(`${name}: not delivered, by reason: ${JSON.stringify(result.notDelivered)}`);
    lines.push(`${name}: /status left at "${result.statusLast}"; bot log events ${JSON.stringify(result.logged)}`);
  }
  const peak = Math.max(...done.map((run) => run.measurement.memory.peakBytes));
  const verdict = peak <= uploadRssTarget ? 'within' : 'OVER';
  lines.push(`bot: peak RSS ${megabytes(peak)} MB against the ${megabytes(uploadRssTarget)} MB target of telegram-upload (${verdict})`);
  return lines;
}
