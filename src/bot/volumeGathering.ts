import { chatIdOf } from './chatRef.js';
import type { ChatRef } from './job.js';
import { type SetMember, setMemberOf } from '../sources/volumeNames.js';

/** A file of a set that came to the bot, as a message in its chat. */
export interface GatheredVolume {
  /** The message it came in. */
  readonly messageId: number;
  readonly fileName: string;
  /** Its document's id in Telegram, the same in every message it is forwarded in. */
  readonly documentId: string;
}

/** The volumes of a set that came, with what is known of them. */
export interface GatheredSet {
  readonly chat: ChatRef;
  /** The name the set is known by: its first volume's, or the `x.zip` that ends a spanned zip. */
  readonly main: string;
  /** The volumes that came, in volume order. */
  readonly volumes: readonly GatheredVolume[];
}

/** Options of {@link volumeGathering}. */
export interface VolumeGatheringOptions {
  /** Milliseconds without a new volume of a set after which it is taken as sent whole. Default: 3 000. */
  readonly window?: number | undefined;
  /** A set whose volumes run from the first without a gap: one job for it (a lone volume: as a single file). */
  readonly onComplete: (set: GatheredSet) => void;
  /**
   * A set that still misses volumes a window after the last came, with their names: told once for
   * each different list of missing volumes. The set goes on waiting for them.
   */
  readonly onIncomplete: (set: GatheredSet, missing: readonly string[]) => void;
  /** Sets to take up again (those waiting when the bot last stopped), each given a new window. Default: none. */
  readonly saved?: readonly GatheredSet[] | undefined;
  /**
   * Told every set waiting after each change (a volume held, a set taken), after `onComplete`:
   * what to keep for the next start. Default: nothing is kept.
   */
  readonly onChange?: ((sets: readonly GatheredSet[]) => void) | undefined;
}

/** Volumes of sets sent as separate files, held until each set is whole. */
export interface VolumeGathering {
  /**
   * Takes a file that may be a volume of a set (see `setMemberOf`): `false` for any other file,
   * which is none of this gathering's business.
   */
  add(chat: ChatRef, volume: GatheredVolume): boolean;
  /** Stops every timer and holds nothing more; the sets waiting are as `onChange` was last told. */
  stop(): void;
}

/** A set being gathered. */
interface Gathering {
  readonly chat: ChatRef;
  readonly member: SetMember;
  /** Volumes by their place; the `x.zip` ending a spanned set under `last`. */
  readonly volumes: Map<number | 'last', GatheredVolume>;
  timer?: NodeJS.Timeout;
  /** The missing volumes the owner was last told of. */
  told?: string;
}

/** The volumes missing from a set as it is: gaps from the first on, and a spanned set's `x.zip`. */
function missingOf(set: Gathering): string[] {
  const numbers = [...set.volumes.keys()].filter((key): key is number => key !== 'last');
  const highest = Math.max(0, ...numbers);
  const gaps = Array.from({ length: highest }, (_, n) => n + 1).filter((n) => !set.volumes.has(n));
  const end = set.member.spanned && !set.volumes.has('last') ? [set.member.main] : [];
  return [...gaps.map((n) => set.member.nameOf(n)), ...end];
}

/** The volumes in order: by number, a spanned set's `x.zip` last. */
function inOrder(set: Gathering): GatheredVolume[] {
  return [...set.volumes].sort(([a], [b]) => (a === 'last' ? 1 : b === 'last' ? -1 : a - b)).map(([, volume]) => volume);
}

/**
 * Gathers the volumes of a set sent to the bot as separate files (`x.7z.001`, `x.7z.002`, …;
 * `x.part1.rar` …; `x.rar`, `x.r00` …; `x.zip.001` …; `x.z01` … `x.zip`), by chat and set, as
 * `mediaRelay` gathers plain media: a set is taken as sent whole when no new volume of it came for
 * `window` milliseconds and its volumes run from the first without a gap, or at once when the
 * `x.zip` that ends a spanned zip comes after all the volumes before it. (The number of volumes is
 * known to none of the names, so a set whose last volumes come more than a window late is taken
 * without them, and its job fails naming what is missing.) A set still missing
 * volumes then is told of once, and waits: a volume sent later completes it. A lone `x.rar`,
 * `x.zip` or first volume is a set of one, taken after the window.
 *
 * What is held is only the messages' ids and their documents', told to `onChange` to be kept, and
 * taken up again from `saved` after a restart.
 */
export function volumeGathering(options: VolumeGatheringOptions): VolumeGathering {
  const window = options.window ?? 3_000;
  const sets = new Map<string, Gathering>();
  let stopped = false;
  const waiting = (): GatheredSet[] => [...sets.values()].map((set) => ({ chat: set.chat, main: set.member.main, volumes: inOrder(set) }));
  const changed = () => options.onChange?.(waiting());

  /** Holds a volume; `false` for a file that is no set's. */
  const hold = (chat: ChatRef, volume: GatheredVolume): boolean => {
    const member = setMemberOf(volume.fileName);
    if (!member) return false;
    const key = `${chatIdOf(chat)}/${member.main.toLowerCase()}`;
    const set: Gathering = sets.get(key) ?? { chat, member, volumes: new Map() };
    sets.set(key, set);
    // The same volume forwarded twice is one volume: the first message of it is read.
    if (!set.volumes.has(member.number)) set.volumes.set(member.number, volume);
    clearTimeout(set.timer);
    // A spanned zip's `x.zip` is sent last: coming after the volumes before it, all there, it
    // ends the set. Sent before them, it says nothing of how many follow: the window decides.
    if (member.number === 'last' && set.volumes.size > 1 && missingOf(set).length === 0) settle(key);
    else set.timer = setTimeout(() => settle(key), window);
    return true;
  };

  const settle = (key: string) => {
    const set = sets.get(key);
    if (!set) return;
    clearTimeout(set.timer);
    const missing = missingOf(set);
    const view = { chat: set.chat, main: set.member.main, volumes: inOrder(set) };
    if (missing.length === 0) {
      sets.delete(key);
      options.onComplete(view);
      changed();
      return;
    }
    const told = missing.join('\n');
    if (set.told === told) return;
    set.told = told;
    options.onIncomplete(view, missing);
  };

  for (const set of options.saved ?? []) for (const volume of set.volumes) hold(set.chat, volume);

  return {
    add(chat, volume) {
      // A message handled while the bot stops is lost with the sets waiting, rather than queued late.
      if (stopped) return setMemberOf(volume.fileName) !== undefined;
      const held = hold(chat, volume);
      if (held) changed();
      return held;
    },
    stop() {
      stopped = true;
      for (const set of sets.values()) clearTimeout(set.timer);
      sets.clear();
    },
  };
}
