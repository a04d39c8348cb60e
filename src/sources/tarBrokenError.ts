import { ArchiveError } from '../errors.js';

/**
 * Raised when a tar stream breaks after some entries were read: a truncated download, corrupt
 * gzip data, a bad header. The entries before `index` were read; those from `index` on are lost.
 */
export class TarBrokenError extends ArchiveError {
  constructor(archive: string, readonly index: number, reason: string, options?: { cause?: unknown }) {
    super(archive, reason, options);
  }
}
