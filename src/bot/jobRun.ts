import type { Observable, SchedulerLike } from 'rxjs';
import { ArchiveError, ConfigError, describeError, PasswordNeededError } from '../errors.js';
import type { DiskSpaceProbe } from '../freeSpace.js';
import type { Stall } from '../runActivity.js';
import { awaitsPassword, Manifest } from '../state/manifest.js';
import { send } from '../pipeline.js';
import type { Sink } from '../sinks/sink.js';
import type { Archive } from '../sources/archive.js';
import type { TelegramConnection } from '../telegram/connectTelegram.js';
import { resolveChat } from '../telegram/resolveChat.js';
import type { FloodWaitListener, Wait } from '../telegram/telegramCall.js';
import { premiumUploadLimit, telegramSink, uploadLimit } from '../sinks/telegram/telegramSink.js';
import type { SpaceLedger } from '../spaceLedger.js';
import type { Step } from '../step.js';
import { summarise, type Summary } from '../summary.js';
import { RunActivity, watchStall } from '../runActivity.js';
import { inputPeerOf } from './chatRef.js';
import type { Job } from './job.js';
import { advanceProgress, type LiveProgress, liveProgress } from './liveProgress.js';

/** How every job of the bot runs: the flags of `unspool bot`. */
export interface JobSettings {
  /** Most files per album, 2 to 10. */
  readonly albumSize: number;
  /** Bytes to keep free on the state folder's disk. */
  readonly minFree: number;
  /** Milliseconds between free-space checks while waiting for space. */
  readonly recheckEvery: number;
  /** Attempts per album. */
  readonly attempts: number;
  /** First retry delay in milliseconds, doubling. Default: 1 000. */
  readonly backoff?: number | undefined;
  /** Caption template. */
  readonly caption?: string | undefined;
  /** Send files over the upload limit in pieces. */
  readonly split: boolean;
}

/** What a job runs with, shared by every job of the bot. */
export interface JobRunContext {
  /** The bot's one connection: commands come in over it, uploads and `tg:` reads go out over it. */
  readonly connection: TelegramConnection;
  readonly state: string;
  readonly settings: JobSettings;
  /** `/pause` and `/resume`. */
  readonly paused: Observable<boolean>;
  /** Shared by the jobs running at once, so that together they keep `minFree` free. */
  readonly ledger: SpaceLedger;
  readonly probe?: DiskSpaceProbe | undefined;
  readonly scheduler?: SchedulerLike | undefined;
  /** How the sink waits out flood limits. */
  readonly wait?: Wait | undefined;
  readonly onFloodWait?: FloodWaitListener | undefined;
  /** Told when a job's run has made no progress for a minute while waiting for nothing known. */
  readonly onStall?: ((job: number, stall: Stall) => void) | undefined;
  /**
   * How a job's archive is opened, given its source and the password its owner gave (if any).
   * Tests pass a reader of their own. Default: `send()`'s, `openArchive`.
   */
  readonly open?: ((source: string, password: string | undefined) => Promise<Archive>) | undefined;
}

/** How a run of a job ended. */
export type JobOutcome =
  /**
   * The archive was read to its end; the summary covers every run of it. `locked` entries wait for
   * a password (none given, or `wrong` of them failed a wrong one).
   */
  | { readonly kind: 'done'; readonly summary: Summary; readonly elapsed: number; readonly bytes: number; readonly locked: number; readonly wrong: number }
  /** The archive could not be read, or a setting was wrong: `reason` says so in words. */
  | { readonly kind: 'failed'; readonly reason: string; readonly unreadable: boolean }
  /**
   * The archive cannot even be listed without its password (a 7z or RAR archive whose names are
   * encrypted): none was given, or (`given`) the one given is wrong. `reason` says so in words.
   */
  | { readonly kind: 'locked'; readonly reason: string; readonly given: boolean }
  /** Stopped by `/cancel` or by the bot shutting down; the manifest keeps what was done. */
  | { readonly kind: 'stopped' };

/** A job being run. */
export interface JobRun {
  readonly live: LiveProgress;
  readonly outcome: Promise<JobOutcome>;
  /**
   * Stops at once: the album in flight is abandoned (it goes again, under the same id, on the next
   * run), temp files are deleted, the manifest is saved as it stands. Resolves once the run has let
   * go of everything, the archive's lock last.
   */
  stop(): Promise<void>;
}

/** Where a job's albums go: the chat it names, or the chat it was given in. */
async function openJobSink(job: Job, context: JobRunContext): Promise<Sink> {
  const { client, isBot, premium } = context.connection;
  const peer = job.to ? (await resolveChat(client, job.to, isBot)).peer : inputPeerOf(job.chat);
  return telegramSink({
    client,
    peer,
    chat: job.to ?? 'this chat',
    caption: context.settings.caption,
    wait: context.wait,
    onFloodWait: context.onFloodWait,
    maxFileSize: premium ? premiumUploadLimit : uploadLimit,
    split: context.settings.split,
  });
}

/** The sink, telling `live` which album it is taking. */
function watched(sink: Sink, live: LiveProgress): Sink {
  return Object.assign(Object.create(sink) as Sink, {
    deliver: (...args: Parameters<Sink['deliver']>) => {
      live.current = args[0].files.map((file) => file.entry.name);
      return sink.deliver(...args);
    },
  });
}

/**
 * Runs a job once: the pipeline of `send()` from its source to its chat over the bot's connection,
 * with the bot's settings, the shared `/pause` switch and space ledger, and the password if one
 * was given. Every step also goes to `onStep`, for notices.
 *
 * @param job The job; only read.
 * @param context The bot's connection, state folder and settings.
 * @param onStep Told of every step of the pipeline, after `live` has taken it in.
 * @param password The password the owner gave, kept in memory only: for the archive's entries,
 * and for its names when they are encrypted.
 */
export function runJob(job: Job, context: JobRunContext, onStep: (step: Step) => void, password?: string): JobRun {
  const live = liveProgress(Date.now());
  const activity = new RunActivity();
  const network = context.connection.network;
  const stopStallWatch = watchStall(
    activity,
    (stall) => {
      live.stalled = stall;
      context.onStall?.(job.id, stall);
    },
    { excused: () => network?.state.up === false },
  );
  // A stop ends the run through `send()`'s signal, whose Observable completes once the run has let
  // go of everything (temp files, manifest, archive, lock): `stop()` waits for that.
  const stopping = new AbortController();
  let ended: () => void = () => {};
  const letGo = new Promise<void>((resolve) => {
    ended = resolve;
  });
  let settle: (outcome: JobOutcome) => void = () => {};
  const outcome = new Promise<JobOutcome>((resolve) => {
    settle = resolve;
  });
  void outcome.then(stopStallWatch);
  let manifestFile: string | undefined;

  const start = async () => {
    let sink: Sink;
    try {
      sink = watched(await openJobSink(job, context), live);
    } catch (error) {
      settle({ kind: 'failed', reason: describeError(error), unreadable: false });
      return ended();
    }
    if (stopping.signal.aborted) return ended();
    const { client, isBot, premium } = context.connection;
    const { open } = context;
    send(job.source, {
      sink,
      state: context.state,
      name: job.name,
      albumSize: context.settings.albumSize,
      minFree: context.settings.minFree,
      recheckEvery: context.settings.recheckEvery,
      attempts: context.settings.attempts,
      backoff: context.settings.backoff,
      retryFailed: job.retryFailed ?? false,
      restart: job.again ?? false,
      paused: context.paused,
      ledger: context.ledger,
      password,
      open: open && ((path: string) => open(path, password)),
      probe: context.probe,
      scheduler: context.scheduler,
      activity,
      // The bot waits for the network without end, for an archive's server as for Telegram.
      http: { networkWait: Infinity },
      // The bot's own connection, lent without letting the archive close it.
      connectTelegram: async () => ({ client, isBot, premium, ...(network ? { network } : {}), close: async () => {} }),
      signal: stopping.signal,
    }).subscribe({
      next(step) {
        if (step.kind === 'opened') manifestFile = step.manifestFile;
        advanceProgress(live, step);
        onStep(step);
      },
      error(error: unknown) {
        ended();
        if (error instanceof PasswordNeededError) return settle({ kind: 'locked', reason: error.reason, given: error.given });
        const known = error instanceof ArchiveError ? error.reason : error instanceof ConfigError ? error.message : describeError(error);
        settle({ kind: 'failed', reason: known, unreadable: error instanceof ArchiveError });
      },
      complete() {
        ended();
        // A stopped run completes too, once it has let go; its outcome is known already.
        if (stopping.signal.aborted) return;
        void (async () => {
          const { data } = (await Manifest.load(manifestFile!, job.name))!;
          const outcomes = Object.values(data.outcomes);
          settle({
            kind: 'done',
            summary: summarise(data),
            elapsed: Date.now() - live.startedAt,
            bytes: live.deliveredBytes,
            locked: outcomes.filter(awaitsPassword).length,
            wrong: outcomes.filter((outcome) => outcome.reason === 'wrong-password').length,
          });
        })().catch((error: unknown) => settle({ kind: 'failed', reason: describeError(error), unreadable: false }));
      },
    });
  };
  void start();

  return {
    live,
    outcome,
    async stop() {
      stopping.abort();
      settle({ kind: 'stopped' });
      await letGo;
    },
  };
}
