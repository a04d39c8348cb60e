import { ConfigError } from '../errors.js';
import { dirSink } from './dirSink.js';
import type { Sink } from './sink.js';

/**
 * Opens the sink that a `--to` value names: `dir:<path>` for a folder.
 *
 * @throws ConfigError for an unknown or malformed destination.
 */
export async function openSink(to: string): Promise<Sink> {
  const colon = to.indexOf(':');
  const scheme = colon > 0 ? to.slice(0, colon) : '';
  const target = to.slice(colon + 1);
  if (scheme === 'dir' && target !== '') return dirSink(target);
  throw new ConfigError(`--to ${JSON.stringify(to)}: expected dir:<folder>`);
}
