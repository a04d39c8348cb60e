// The public API of unspool. The CLI (src/cli/) and the bot are built on exactly these pieces.

// Run the whole pipeline over one archive.
export { send, type SendOptions } from './pipeline.js';
export { summarise, type Summary, type SummaryItem } from './summary.js';

// Sources: archives as Observables of entries.
export { openArchive } from './sources/openArchive.js';
export type { Archive, EntriesConfig } from './sources/archive.js';
export { fileSource, type RandomAccessSource } from './sources/randomAccess.js';
export { openHttpSource, type HttpSource } from './sources/http/httpSource.js';
export type { HttpSourceConfig } from './sources/http/remoteFile.js';
export { HttpSourceError } from './sources/http/httpSourceError.js';
export { redactUrl } from './sources/http/redactUrl.js';
export { torboxClient, torboxClientFromEnv, type TorboxClient, type TorboxClientConfig, type TorboxDownload, type TorboxFile } from './sources/torbox/torboxClient.js';
export { TorboxError } from './sources/torbox/torboxError.js';
export type { ArchiveFormat } from './sources/detectFormat.js';
export type { Encryption, Entry, EntryBytes, EntryKind, EntryRef, MediaType } from './entry.js';
export { mediaTypeOf } from './mediaType.js';

// Sinks: where albums go.
export type { DeliveryContext, Sink, UploadJournal, UploadRecord } from './sinks/sink.js';
export { dirSink, type AlbumJson } from './sinks/dirSink.js';

// Operators, for composing a pipeline of your own.
export { pauseGate, type PauseGateConfig } from '../operators/pauseGate.js';
export { freeSpaceGate, type FreeSpaceGateConfig } from '../operators/freeSpaceGate.js';
export { materialise, type MaterialiseConfig } from '../operators/materialise.js';
export { classifyMedia } from '../operators/classifyMedia.js';
export { albums, groupOf, type AlbumsConfig, type PlannedAlbum } from '../operators/albums.js';
export { recordAlbum, type RecordAlbumConfig } from '../operators/recordAlbum.js';
export { deliver, type DeliverConfig } from '../operators/deliver.js';
export { checkpoint, type CheckpointConfig } from '../operators/checkpoint.js';
export { trackActivity } from '../operators/trackActivity.js';
export { releaseEntries } from '../operators/releaseEntries.js';
export { reportBroken } from '../operators/reportBroken.js';
export { RunActivity, watchStall, type RunStage, type Stall, type WatchStallConfig } from './runActivity.js';
export type { Album, AlbumGroup, Outcome, Receipt, Step, StepOf, TempFile } from './step.js';

// State: manifests and free space.
export { awaitsPassword, Manifest, manifestVersion, type ManifestData, type OutcomeRecord, type InFlightRecord, type ResumeConfig } from './state/manifest.js';
export { checkDiskSpaceProbe, type DiskSpace, type DiskSpaceProbe } from './freeSpace.js';
export { spaceLedger, type LedgerAccount, type SpaceLedger } from './spaceLedger.js';
export { AlbumsOnDisk } from './albumsOnDisk.js';
export { defaultStateDir } from './state/stateDir.js';

// Errors, and the reasons an entry is not delivered.
export { ArchiveBrokenError, ArchiveError, ConfigError, EntryError, SinkError, TruncatedError, UnreachableError } from './errors.js';
export {
  archiveReasons,
  failReasons,
  readFailReasons,
  reasons,
  sinkReasons,
  skipReasons,
  type ArchiveReason,
  type FailReason,
  type ReadFailReason,
  type Reason,
  type RecordedReason,
  type SinkReason,
  type SkipReason,
  type TelegramErrorName,
  type UndeliveredReason,
} from './reasons.js';
