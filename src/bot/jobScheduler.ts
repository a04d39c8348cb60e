import type { BehaviorSubject } from 'rxjs';
import { formatBytes } from '../size.js';
import { describeError } from '../errors.js';
import { isHttpUrl, redactUrl } from '../sources/http/redactUrl.js';
import type { Step } from '../step.js';
import type { BotLog } from './botLog.js';
import type { BotChat } from './botChat.js';
import { formatDuration } from '../duration.js';
import { jobReport, jobTitle } from './botTexts.js';
import type { ChatRef, Job } from './job.js';
import type { JobQueue } from './jobQueue.js';
import { type JobOutcome, type JobRun, type JobRunContext, runJob } from './jobRun.js';

/** Options of {@link jobScheduler}. */
export interface JobSchedulerOptions {
  readonly queue: JobQueue;
  readonly context: JobRunContext;
  /** Jobs run at once. */
  readonly maxJobs: number;
  /** `/pause`: no job starts while it is true. */
  readonly paused: BehaviorSubject<boolean>;
  readonly chat: BotChat;
  /** Sends a message, never throwing. */
  readonly say: (chat: ChatRef, text: string) => Promise<number>;
  readonly log: BotLog;
  /** Passwords by job, in memory only; a job's is forgotten once it has been tried. */
  readonly passwords: Map<number, string>;
  /** Whole links (with their tokens) by job, in memory only. */
  readonly links: ReadonlyMap<number, string>;
  /** Whether the bot is shutting down: then nothing starts. */
  readonly isStopping: () => boolean;
}

/** Runs the queue's jobs. */
export interface JobScheduler {
  /** The jobs running now, by number. */
  readonly runs: ReadonlyMap<number, JobRun>;
  /** Starts waiting jobs while fewer than `maxJobs` run and there is no `/pause`. */
  pump(): void;
}

/**
 * Takes waiting jobs from the queue in order and runs them (`runJob`), at most `maxJobs` at once.
 * It tells each job's owner when it waits for disk space and when it goes on, and when it ends:
 * unreadable (with the reason), locked (a request for the password of an archive whose names are
 * encrypted), or done (the report, as a text file when long, and a request for a password when
 * entries wait for one). A job whose link lost its token on its way to disk waits
 * until the owner sends the link again.
 */
export function jobScheduler(options: JobSchedulerOptions): JobScheduler {
  const { queue, context, chat, say, log, passwords, links } = options;
  const { settings } = context;
  const runs = new Map<number, JobRun>();

  /** Tells the owner what a step of a running job means to them: low space, space back. */
  const notice = (job: Job, step: Step) => {
    if (step.kind === 'paused') {
      void say(
        job.chat,
        `Paused ${job.name}: ${formatBytes(step.free)} free on the disk of ${context.state}, need ${formatBytes(step.needed)} (${formatBytes(settings.minFree)} kept free plus the next file). Checking again every ${formatDuration(settings.recheckEvery)}.`,
      );
    } else if (step.kind === 'resumed') {
      void say(job.chat, `Resumed ${job.name}: ${formatBytes(step.free)} free.`);
    }
  };

  /** The end-of-job report: in the chat, or as a text file when the list is long. */
  const report = async (job: Job, outcome: Extract<JobOutcome, { kind: 'done' }>) => {
    const { headline, lines } = jobReport(job, outcome.summary, outcome.elapsed, outcome.bytes);
    const text = [headline, ...lines].join('\n');
    if (lines.length <= 20 && text.length <= 3500) return void (await say(job.chat, text));
    await chat.sendText(job.chat, `unspool-job-${job.id}.txt`, `${[headline, '', ...lines].join('\n')}\n`, headline).catch(async (error: unknown) => {
      log('report-failed', { job: job.id, error: describeError(error) });
      await say(job.chat, headline);
    });
  };

  const finish = async (job: Job, outcome: JobOutcome) => {
    runs.delete(job.id);
    // Cancelled: the state says so already. Shutting down: it stays `running` for the next start.
    if (outcome.kind === 'stopped') return;
    if (outcome.kind === 'failed') {
      await queue.update(job, { state: 'failed', finishedAt: new Date().toISOString(), error: outcome.reason, reportPending: true });
      log('job-failed', { job: job.id, reason: outcome.reason });
      await say(job.chat, `✗ ${jobTitle(job)}: ${outcome.unreadable ? 'cannot be read: ' : ''}${outcome.reason}`);
      passwords.delete(job.id);
      await queue.update(job, { reportPending: undefined });
      return;
    }
    if (outcome.kind === 'locked') {
      // Failed, like an unreadable archive (`/retry` asks again), but `/pass` knows to run it again.
      await queue.update(job, { state: 'failed', finishedAt: new Date().toISOString(), error: outcome.reason, lockedArchive: true, reportPending: true });
      log('job-locked', { job: job.id, given: outcome.given });
      const ask = outcome.given ? `The password is wrong for ${jobTitle(job)}` : `${jobTitle(job)} is password-protected, its file names too`;
      await say(job.chat, `${ask}: reply /pass <password>`);
      passwords.delete(job.id);
      await queue.update(job, { reportPending: undefined });
      return;
    }
    const { summary, locked, wrong } = outcome;
    await queue.update(job, {
      state: 'done',
      finishedAt: new Date().toISOString(),
      progress: {
        delivered: summary.delivered,
        deliveredBytes: summary.deliveredBytes,
        albums: summary.albums,
        skipped: summary.skipped.length,
        failed: summary.failed.length,
        ...(summary.entries !== null ? { entries: summary.entries } : {}),
      },
      lockedEntries: locked || undefined,
      again: undefined,
      retryFailed: undefined,
      reportPending: true,
    });
    log('job-done', { job: job.id, delivered: summary.delivered, skipped: summary.skipped.length, failed: summary.failed.length });
    await report(job, outcome);
    if (locked > 0) {
      const files = (count: number, kind = '') => `${count} ${kind}file${count === 1 ? '' : 's'}`;
      const ask = wrong > 0 && passwords.has(job.id) ? `The password is wrong for ${files(wrong)} of ${job.name}` : `${job.name} has ${files(locked, 'password-protected ')}`;
      await say(job.chat, `${ask}: reply /pass <password>`);
    }
    passwords.delete(job.id);
    await queue.update(job, { reportPending: undefined });
  };

  const start = (job: Job) => {
    const source = links.get(job.id) ?? job.source;
    // The state changes at once (the save follows), so that the next look at the queue counts it.
    void queue.update(job, { state: 'running', startedAt: new Date().toISOString(), error: undefined, lockedArchive: undefined });
    log('job-started', { job: job.id, source: isHttpUrl(source) ? redactUrl(source) : source });
    const onStep = (step: Step) => {
      if (step.kind === 'opened') void queue.update(job, { manifest: step.manifestFile, size: step.size });
      notice(job, step);
    };
    const run = runJob({ ...job, source }, context, onStep, passwords.get(job.id));
    runs.set(job.id, run);
    void run.outcome
      .then((outcome) => finish(job, outcome))
      .catch((error: unknown) => log('error', { job: job.id, error: describeError(error) }))
      .finally(pump);
  };

  function pump(): void {
    if (options.isStopping() || options.paused.value) return;
    for (const job of queue.waiting()) {
      if (runs.size >= options.maxJobs) return;
      if (job.secretLink && !links.has(job.id)) continue;
      start(job);
    }
  }

  return { runs, pump };
}
