import { concatMap, from, map, type MonoTypeOperatorFunction, type ObservableInput, of } from 'rxjs';
import type { MediaType } from '../src/entry.js';
import type { Step, TempFile } from '../src/step.js';

/**
 * Asks, for every materialised file, which media type it will be delivered as, and sets it on the
 * file before {@link albums} groups it. A sink has the last word here: Telegram sends a photo over
 * 10 MB, or too large or too thin in pixels, as a document, and a document may not share an album
 * with photos. Files go through one at a time and in order; other steps pass through unchanged.
 *
 * ```
 * classify: --d|            (P is a photo that will go as a document)
 * source:   -P-E--|
 * result:   ---D-E|         D = P with media 'document'
 * ```
 *
 * ## Examples
 * ```ts
 * import { materialise, classifyMedia, albums } from 'unspool';
 * steps$.pipe(materialise({ tmpDir }), classifyMedia(sink.classify), albums());
 * ```
 *
 * @see materialise
 * @see albums
 * @param classify The media type a file will be delivered as. Default: the file's own.
 * @return An operator that settles each materialised file's media type.
 */
export function classifyMedia(classify?: (file: TempFile) => ObservableInput<MediaType>): MonoTypeOperatorFunction<Step> {
  if (!classify) return (source) => source;
  return concatMap((step) =>
    step.kind !== 'materialised'
      ? of(step)
      : from(classify(step.file)).pipe(
          map((media): Step => (media === step.file.media ? step : { kind: 'materialised', file: { ...step.file, media } })),
        ),
  );
}
