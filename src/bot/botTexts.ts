import { formatBytes } from '../size.js';
import { formatDuration } from '../duration.js';
import type { NetworkState } from '../telegram/telegramNetwork.js';
import type { Summary, SummaryItem } from '../summary.js';
import { usage } from './parseBotCommand.js';
import type { Job } from './job.js';
import { type LiveProgress, settledThisRun } from './liveProgress.js';

/** A speed for people, from bytes over milliseconds: `6.4 MB/s`. */
export function formatSpeed(bytes: number, milliseconds: number): string {
  return `${formatBytes(milliseconds > 0 ? Math.round((bytes * 1000) / milliseconds) : 0)}/s`;
}

/** What `/help` and `/start` answer. */
export function helpText(): string {
  return [
    'I deliver the photos, videos, music and documents inside archives (zip, 7z, RAR, tar, tar.gz, tar.xz, tar.bz2, tar.zst) to Telegram, in albums, one album on disk at a time.',
    '',
    `${usage.send}: queue an archive. A link or torbox:<id> sent alone works too, and so does forwarding an archive file to me.`,
    '/queue: what is waiting, running, done and failed.',
    `${usage.status}: live progress, kept up to date in one message.`,
    '/pause, /resume: stop after the current album, go on.',
    `${usage.cancel}, ${usage.retry}: stop a job (it can go on later), or go on with it / try its failed files again.`,
    `${usage.pass}: the password of a protected archive (zip, 7z or RAR) I asked about.`,
    'Photos, videos and music sent to me alone are passed on as they are.',
  ].join('\n');
}

/** `#3 holiday.zip` */
export function jobTitle(job: Job): string {
  return `#${job.id} ${job.name}`;
}

/** Entries done, of how many if known: `120/448 entries`. */
function entriesDone(done: number, total: number | undefined): string {
  return total === undefined ? `${done} entries` : `${done}/${total} entries`;
}

/** One line of `/queue`. */
export function queueLine(job: Job, live: LiveProgress | undefined): string {
  const size = job.size !== undefined ? ` (${formatBytes(job.size)})` : '';
  const progress = job.progress;
  switch (job.state) {
    case 'running': {
      const done = live ? live.settledBefore + settledThisRun(live) : 0;
      const state = live?.held ? 'paused' : live?.lowSpace ? 'waiting for space' : 'running';
      return `▶ ${jobTitle(job)}${size}: ${state}, ${entriesDone(done, live?.entries)}, ${formatBytes(live?.deliveredBytes ?? 0)} sent`;
    }
    case 'waiting':
      return `… ${jobTitle(job)}${size}: waiting`;
    case 'done': {
      const counts = progress ? `${progress.delivered} delivered, ${progress.skipped} skipped, ${progress.failed} failed` : 'done';
      return `✓ ${jobTitle(job)}${size}: ${counts}${job.lockedEntries ? `, ${job.lockedEntries} need a password` : ''}`;
    }
    case 'cancelled':
      return `■ ${jobTitle(job)}${size}: cancelled${progress ? ` after ${progress.delivered} delivered` : ''}; /retry ${job.id} goes on`;
    case 'failed':
      return `✗ ${jobTitle(job)}${size}: ${job.error ?? 'failed'}`;
  }
}

/**
 * The text of a `/status` message, for a job and its live progress if it is running, and the state
 * of the bot's connection to Telegram (an edit made once the network is back says how long it was gone).
 */
export function statusText(job: Job, live: LiveProgress | undefined, now: number, network?: NetworkState): string {
  if (job.state !== 'running' || !live) return queueLine(job, undefined);
  const elapsed = now - live.startedAt;
  const doneThisRun = settledThisRun(live);
  const done = live.settledBefore + doneThisRun;
  const lines = [`${jobTitle(job)}${job.size !== undefined ? ` (${formatBytes(job.size)})` : ''}`];
  if (live.held) lines.push('Paused by /pause; /resume goes on.');
  else if (live.lowSpace) lines.push(`Waiting for disk space: ${formatBytes(live.lowSpace.free)} free, ${formatBytes(live.lowSpace.needed)} needed.`);
  if (network && !network.up) lines.push(`Waiting for the network: Telegram out of reach for ${formatDuration(now - network.since)}.`);
  else if (live.stalled) lines.push(`No progress for ${formatDuration(live.stalled.idleFor)}: at ${live.stalled.where}.`);
  lines.push(`${entriesDone(done, live.entries)}, ${live.albums} albums sent, ${live.skipped} skipped, ${live.failed} failed`);
  lines.push(`${formatBytes(live.deliveredBytes)} sent in ${formatDuration(elapsed)} (${formatSpeed(live.deliveredBytes, elapsed)})`);
  if (live.network) lines.push(`${formatBytes(live.network.bytesFetched)} of ${job.size !== undefined ? formatBytes(job.size) : '?'} fetched`);
  if (live.entries !== undefined && doneThisRun > 0 && !live.held) {
    const left = live.entries - done;
    lines.push(`About ${formatDuration((elapsed / doneThisRun) * left)} left`);
  }
  if (live.current?.length) {
    lines.push(`Sending: ${live.current[0]}${live.current.length > 1 ? ` and ${live.current.length - 1} more` : ''}`);
  }
  return lines.join('\n');
}

/** `name: detail` lines for the entries a summary lists. */
function itemLines(items: readonly SummaryItem[]): string[] {
  return items.map((item) => `• ${item.entry}: ${item.detail} (${item.reason})`);
}

/** The end-of-job report: a headline and, for entries not delivered, their names and reasons. */
export interface JobReport {
  readonly headline: string;
  /** The failed, then the skipped entries, one line each; empty when every entry went. */
  readonly lines: readonly string[];
}

/**
 * What the owner is told when a job ends: time taken, average speed, counts, and which entries
 * were not delivered and why.
 */
export function jobReport(job: Job, summary: Summary, elapsed: number, bytesThisRun: number): JobReport {
  const counts = [`${summary.delivered} delivered in ${summary.albums} albums`];
  counts.push(`${summary.skipped.length} skipped`, `${summary.failed.length} failed`);
  const headline = `${summary.failed.length ? '⚠' : '✅'} ${jobTitle(job)}: done in ${formatDuration(elapsed)}, ${formatBytes(bytesThisRun)} at ${formatSpeed(bytesThisRun, elapsed)}. ${counts.join(', ')}.`;
  const lines = [
    ...(summary.failed.length ? ['Failed:', ...itemLines(summary.failed)] : []),
    ...(summary.skipped.length ? ['Skipped:', ...itemLines(summary.skipped)] : []),
  ];
  return { headline, lines };
}

/**
 * What the bot says of an archive delivered before: when, and the counts, and how to post it all
 * again anyway.
 *
 * @param name The archive as shown.
 * @param summary Its manifest, summarised.
 * @param completedAt When its last run ended (ISO).
 * @param source The source as the owner may type it again (an address redacted).
 */
export function deliveredBeforeText(name: string, summary: Summary, completedAt: string, source: string): string {
  const when = `${completedAt.slice(0, 16).replace('T', ' ')} UTC`;
  const counts = `${summary.delivered} entries in ${summary.albums} albums, ${summary.skipped.length} skipped, ${summary.failed.length} failed`;
  return `${name} was delivered on ${when}: ${counts}. Send "/send ${source} again" to post it all again.`;
}
