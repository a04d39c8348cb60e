/** Where a run is, in words a stall notice can show. */
export type RunStage =
  | 'opening the archive'
  | 'reading the archive'
  | 'waiting for free space'
  | 'paused'
  | 'writing an entry to a temp file'
  | 'delivering an album'
  | 'saving the manifest'
  | 'closing the run';

/** A stage that waits on purpose: a stall notice would only repeat what the run already says. */
const deliberateWaits: ReadonlySet<RunStage> = new Set(['waiting for free space', 'paused']);

/**
 * What a run is doing now, and when it last moved: the pipeline sets its stage at each step and
 * marks every sign of life (bytes written, a part uploaded, bytes fetched), so that a run that
 * makes no progress can say where it stopped ({@link watchStall}), and a run whose event loop
 * empties before it ends can say where it was left hanging.
 *
 * @example
 * ```ts
 * const activity = new RunActivity();
 * send('photos.zip', { sink, state, activity }).subscribe();
 * const stop = watchStall(activity, (stall) => console.error(`no progress: ${stall.where}`));
 * ```
 */
export class RunActivity {
  /** The stage now. */
  stage: RunStage = 'opening the archive';
  /** The entry or album the stage is about, if any. */
  subject: string | undefined;
  /** When the run last showed a sign of life, in the clock's milliseconds. */
  lastMoved: number;

  /** @param now The clock. Default: `Date.now`. */
  constructor(private readonly now: () => number = Date.now) {
    this.lastMoved = now();
  }

  /** Enters a stage, about an entry or album if given; entering a stage is progress. */
  enter(stage: RunStage, subject?: string): void {
    this.stage = stage;
    this.subject = subject;
    this.lastMoved = this.now();
  }

  /** Marks a sign of life within the stage (bytes written, a part confirmed). */
  moved(): void {
    this.lastMoved = this.now();
  }

  /** The stage and its subject, as one phrase: `writing an entry to a temp file (DCIM/1.jpg)`. */
  get where(): string {
    return this.subject === undefined ? this.stage : `${this.stage} (${this.subject})`;
  }

  /** Milliseconds since the last sign of life, or 0 while the run waits on purpose (free space, /pause). */
  idleFor(): number {
    return deliberateWaits.has(this.stage) ? 0 : this.now() - this.lastMoved;
  }
}

/** A run that has made no progress for a while, as {@link watchStall} reports it. */
export interface Stall {
  /** Where the run is: its stage and the entry or album. */
  readonly where: string;
  /** Milliseconds without progress. */
  readonly idleFor: number;
}

/** Options of {@link watchStall}. */
export interface WatchStallConfig {
  /** Milliseconds without progress that make a stall. Default: 60 000. */
  readonly after?: number | undefined;
  /** Milliseconds between looks. Default: 5 000. */
  readonly checkEvery?: number | undefined;
  /**
   * Whether the run waits on purpose somewhere the activity cannot see (a flood wait, the network
   * gone): then nothing is reported. Default: never.
   */
  readonly excused?: (() => boolean) | undefined;
}

/**
 * Reports a run that has made no progress for `after` milliseconds, once, and again after each
 * further `after` while it lasts; a run that moves again starts afresh. Its timer does not keep the
 * process alive: a run whose event loop empties must be seen as stalled by its `beforeExit`, not
 * kept going by its own watchdog.
 *
 * @param activity The run's activity.
 * @param onStall Told of each stall.
 * @param config The threshold (default 60 s), how often to look (default 5 s), and known waits.
 * @return Stops watching.
 */
export function watchStall(activity: RunActivity, onStall: (stall: Stall) => void, config: WatchStallConfig = {}): () => void {
  const { after = 60_000, checkEvery = 5_000, excused = () => false } = config;
  let reported = 0;
  let episode = activity.lastMoved;
  const timer = setInterval(() => {
    if (activity.lastMoved !== episode) {
      episode = activity.lastMoved;
      reported = 0;
    }
    const idleFor = activity.idleFor();
    if (excused() || idleFor < after * (reported + 1)) return;
    reported++;
    onStall({ where: activity.where, idleFor });
  }, checkEvery);
  timer.unref();
  return () => clearInterval(timer);
}
