import { catchError, type MonoTypeOperatorFunction, of, throwError } from 'rxjs';
import { ArchiveBrokenError, describeError } from '../src/errors.js';
import type { Step } from '../src/step.js';

/**
 * Ends a stream of entries that breaks part way with a `broken` step instead of an error, so that
 * what was read before the break is still delivered.
 *
 * In plain words: a truncated download or corrupt data after some entries is reported, not fatal.
 *
 * An {@link ArchiveBrokenError} from the source (any format may raise one) becomes `{ kind:
 * 'broken', archive, detail }`, naming the first entry lost, and the stream completes; every other
 * error passes on unchanged (an archive that cannot be read at all fails the run). Steps pass
 * through unchanged.
 *
 * ```
 * source:  -e--e--#       # = ArchiveBrokenError after entry 2
 * result:  -e--e--(b|)    b = broken
 * ```
 *
 * ## Examples
 * ```ts
 * import { map } from 'rxjs';
 * import { reportBroken } from 'unspool';
 * archive.entries().pipe(map((entry) => ({ kind: 'entry', entry })), reportBroken(archive.name));
 * ```
 *
 * @see materialise
 * @param archive The archive's name, as the `broken` step shows it.
 * @return An operator that turns a break into a `broken` step.
 */
export function reportBroken(archive: string): MonoTypeOperatorFunction<Step> {
  return catchError((error: unknown) =>
    error instanceof ArchiveBrokenError
      ? of<Step>({ kind: 'broken', archive, detail: `the archive breaks after entry ${error.index}: ${describeError(error.cause ?? error)}` })
      : throwError(() => error),
  );
}
