import type { Manifest } from './manifest.js';
import type { UploadJournal } from '../sinks/sink.js';

/**
 * An {@link UploadJournal} kept in the manifest. A sink reports every confirmed part; writing the
 * manifest that often would cost an fsync per part, so a record is saved at most once per
 * `interval`, and the last one when the album lands (the checkpoint saves the manifest then). A
 * crash loses at most `interval` of upload progress, never a delivery. A send's answer is saved at
 * once, before the sink makes its next request: an answer lost to a crash would mean that send is
 * made again (harmless, as Telegram recognises its `random_id`s, but it uploads the files again).
 *
 * @param manifest The run's manifest.
 * @param interval Least time between two saves for upload progress, in milliseconds. Default 2 000.
 */
export function manifestUploads(manifest: Manifest, interval = 2_000): UploadJournal {
  let lastSave = 0;
  let saving: Promise<void> | undefined;
  return {
    get: (key) => manifest.data.uploads?.[key],
    put(key, record) {
      manifest.upload(key, record);
      const now = Date.now();
      if (saving || now - lastSave < interval) return;
      lastSave = now;
      // A failed save here is harmless: the next one, or the checkpoint's, writes the same data.
      saving = manifest
        .save()
        .catch(() => undefined)
        .finally(() => (saving = undefined));
    },
    sent: (album) => manifest.sentFor(album),
    async recordSent(album, messages) {
      manifest.posted(album, messages);
      await manifest.save();
    },
  };
}
