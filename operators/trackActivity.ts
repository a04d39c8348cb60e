import { type MonoTypeOperatorFunction, tap } from 'rxjs';
import type { RunActivity, RunStage } from '../src/runActivity.js';
import type { Step } from '../src/step.js';

/** The stage a run enters when a step passes, and what it is about; none for steps that change nothing. */
function stageAfter(step: Step): [RunStage, string?] | undefined {
  switch (step.kind) {
    case 'entry':
    case 'resumed':
    case 'released':
      return ['writing an entry to a temp file', step.entry.name];
    case 'paused':
      return ['waiting for free space', step.entry.name];
    case 'held':
      return ['paused', step.entry.name];
    case 'materialised':
    case 'skipped':
    case 'failed':
    case 'checkpoint':
      return ['reading the archive'];
    case 'album':
    case 'delivering': {
      const [first, ...rest] = step.album.files;
      return ['delivering an album', `${first?.entry.name ?? 'no file'}${rest.length ? ` and ${rest.length} more` : ''}`];
    }
    case 'delivered':
    case 'undelivered':
      return ['saving the manifest'];
    default:
      return undefined;
  }
}

/**
 * Keeps a run's {@link RunActivity} up to date from the steps that pass, which it passes on
 * unchanged: an entry read puts the run at "writing an entry to a temp file", an album at
 * "delivering an album", a delivered album at "saving the manifest", and so on. It is placed where
 * the steps it reads still flow (entries are gone after `materialise`, albums after `deliver`),
 * and a stall notice says where the run stands from it.
 *
 * ```
 * source:  -e----m----a----d----c-|     e = entry, m = materialised, a = album, d = delivered, c = checkpoint
 * result:  -e----m----a----d----c-|     (unchanged; the activity's stage follows each step)
 * ```
 *
 * ## Examples
 * ```ts
 * import { trackActivity } from 'unspool';
 * const activity = new RunActivity();
 * steps$.pipe(trackActivity(activity));
 * ```
 *
 * @see RunActivity
 * @param activity The run's activity.
 * @return An operator that passes every step on, unchanged.
 */
export function trackActivity(activity: RunActivity): MonoTypeOperatorFunction<Step> {
  return tap((step) => {
    const next = stageAfter(step);
    if (next) activity.enter(...next);
  });
}
