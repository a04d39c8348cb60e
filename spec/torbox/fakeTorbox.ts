import type { TorboxKind } from '../../src/sources/torbox/torboxName.js';
import { type HttpServer, type LoggedRequest, type RouteAnswer, startHttpServer } from '../support/httpServer.js';

/**
 * Torbox's API as its documentation describes it, on the loopback server of the HTTP specs:
 * `GET /v1/api/{torrents,usenet,webdl}/requestdl?token=…&{torrent_id,usenet_id,web_id}=…&(zip_link=true|file_id=…)`
 * answers a download link on the same server, `GET /v1/api/…/mylist?id=…` (with
 * `Authorization: Bearer …`) the download; every answer is the standard envelope
 * `{ success, error, detail, data }`. Links can be made to expire after a number of requests.
 */

/** A download in the fake account. */
export interface FakeDownload {
  readonly kind: TorboxKind;
  readonly id: number;
  readonly name: string;
  /** Its files as `mylist` lists them; one file is downloaded by `file_id`, several as a zip. */
  readonly files: readonly { readonly name: string; readonly size: number }[];
  /** What its link serves: the one file, or the zip of all of them. */
  readonly bytes: Uint8Array;
  /** Default: true. */
  readonly finished?: boolean;
  /** From 0 to 1. Default: 1. */
  readonly progress?: number;
}

/** How a link answers once it has expired. */
export type Expiry = { readonly status: 403 | 410 } | 'error-page';

/** A running fake. */
export interface FakeTorbox {
  readonly server: HttpServer;
  /** What `TORBOX_API_BASE` is set to. */
  readonly apiBase: string;
  /** The one API key it accepts. */
  readonly key: string;
  /** Every link handed out, in order (with their tokens). */
  readonly links: string[];
  add(download: FakeDownload): void;
  /** From now on each link answers `expiry` once it has been asked `uses` times. */
  expireLinksAfter(uses: number, expiry: Expiry): void;
  /** The next `times` calls to `endpoint` (`torrents/requestdl`, …) get `answer` instead. */
  override(endpoint: string, answer: RouteAnswer, times?: number): void;
  /** The API calls to `endpoint` so far. */
  calls(endpoint: string): LoggedRequest[];
  /** The requests for download links so far. */
  downloads(): LoggedRequest[];
}

const kinds: Record<TorboxKind, { segment: string; idParameter: string }> = {
  torrent: { segment: 'torrents', idParameter: 'torrent_id' },
  usenet: { segment: 'usenet', idParameter: 'usenet_id' },
  webdl: { segment: 'webdl', idParameter: 'web_id' },
};

const json = (status: number, envelope: { success: boolean; error: string | null; detail: string; data: unknown }): RouteAnswer => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(envelope),
});
const refusal = (status: number, error: string, detail: string) => json(status, { success: false, error, detail, data: null });
const tokenOf = (request: LoggedRequest) => new URL(request.url, 'http://127.0.0.1').searchParams.get('token') ?? '';

/** Starts a fake Torbox whose API key is `key`. */
export async function startFakeTorbox(key = 'tbkey-0123-SECRET-4567'): Promise<FakeTorbox> {
  const server = await startHttpServer();
  const downloads = new Map<string, FakeDownload>();
  const overrides = new Map<string, { answer: RouteAnswer; left: number }[]>();
  const links: string[] = [];
  const uses = new Map<string, number>();
  server.onRequest((request) => {
    if (request.path.startsWith('/cdn/')) uses.set(tokenOf(request), (uses.get(tokenOf(request)) ?? 0) + 1);
  });
  server.route('/expired', () => ({ status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: '<html><body>This link has expired.</body></html>' }));

  const overridden = (endpoint: string) => {
    const queue = overrides.get(endpoint) ?? [];
    const next = queue.find((entry) => entry.left > 0);
    if (next) next.left -= 1;
    return next?.answer;
  };

  for (const kind of Object.keys(kinds) as TorboxKind[]) {
    const { segment, idParameter } = kinds[kind];
    server.route(`/v1/api/${segment}/requestdl`, (url) => {
      const instead = overridden(`${segment}/requestdl`);
      if (instead) return instead;
      const token = url.searchParams.get('token');
      if (!token) return refusal(401, 'NO_AUTH', 'No API token was provided.');
      if (token !== key) return refusal(403, 'BAD_TOKEN', 'The API token is not valid.');
      const download = downloads.get(`${kind}:${url.searchParams.get(idParameter)}`);
      if (!download) return refusal(404, 'ITEM_NOT_FOUND', 'There is no download with that id in your account.');
      if (download.finished === false) return refusal(400, 'DOWNLOAD_NOT_CACHED', 'The download has not finished yet.');
      const wantsZip = url.searchParams.get('zip_link') === 'true';
      if (wantsZip !== download.files.length > 1 || (!wantsZip && url.searchParams.get('file_id') !== '0')) {
        return refusal(400, 'INVALID_OPTION', 'zip_link or file_id is wrong for this download.');
      }
      const link = `${server.url(`/cdn/${kind}-${download.id}/${wantsZip ? 'download.zip' : download.files[0]!.name}`)}?token=cdn-${links.length + 1}-linksecret`;
      links.push(link);
      return json(200, { success: true, error: null, detail: 'Download link generated.', data: link });
    });
    server.route(`/v1/api/${segment}/mylist`, (url, headers) => {
      const instead = overridden(`${segment}/mylist`);
      if (instead) return instead;
      if (!headers.authorization) return refusal(401, 'NO_AUTH', 'No API token was provided.');
      if (headers.authorization !== `Bearer ${key}`) return refusal(403, 'BAD_TOKEN', 'The API token is not valid.');
      const download = downloads.get(`${kind}:${url.searchParams.get('id')}`);
      if (!download) return refusal(404, 'ITEM_NOT_FOUND', 'There is no download with that id in your account.');
      const finished = download.finished ?? true;
      const data = {
        id: download.id,
        name: download.name,
        size: download.files.reduce((sum, file) => sum + file.size, 0),
        download_state: finished ? 'cached' : 'downloading',
        download_finished: finished,
        download_present: finished,
        progress: download.progress ?? 1,
        files: download.files.map((file, id) => ({ id, name: `${download.name}/${file.name}`, short_name: file.name, size: file.size })),
      };
      return json(200, { success: true, error: null, detail: 'List retrieved successfully.', data });
    });
  }

  return {
    server,
    apiBase: server.url(''),
    key,
    links,
    add(download) {
      downloads.set(`${download.kind}:${download.id}`, download);
      const path = `/cdn/${download.kind}-${download.id}/${download.files.length > 1 ? 'download.zip' : download.files[0]!.name}`;
      server.serve(path, download.bytes);
    },
    expireLinksAfter(limit, expiry) {
      const expired = (request: LoggedRequest) => request.path.startsWith('/cdn/') && (uses.get(tokenOf(request)) ?? 0) > limit;
      server.fault(expiry === 'error-page' ? { redirect: '/expired' } : { status: expiry.status }, expired, Infinity);
    },
    override(endpoint, answer, times = 1) {
      overrides.set(endpoint, [...(overrides.get(endpoint) ?? []), { answer, left: times }]);
    },
    calls: (endpoint) => server.log.filter((request) => request.path === `/v1/api/${endpoint}`),
    downloads: () => server.log.filter((request) => request.path.startsWith('/cdn/')),
  };
}
