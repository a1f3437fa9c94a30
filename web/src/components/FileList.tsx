import { useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { useSearchParams } from 'react-router';
import { fetchDownloadLink, queryKeys, useBuckets, useDeleteFile, useFilePage, type FileListParams } from '../api/queries';
import type { FileRecord, SortField, SortOrder } from '../api/types';
import { formatBytes, formatCount, formatDate } from '../lib/format';
import { useDebouncedValue } from '../lib/useDebouncedValue';
import { ConfirmDialog } from './ConfirmDialog';
import { FileDetails } from './FileDetails';
import { StorageBadge } from './StorageBadge';

const PAGE_SIZES = [25, 50, 100];

/** How long the search box waits for the user to pause before asking the server. */
export const SEARCH_DEBOUNCE_MS = 300;

/** The "folder" separator of browse mode, as S3 consoles use it. */
const DELIMITER = '/';

const SORT_CHOICES: { value: string; label: string; sort: SortField; order: SortOrder }[] = [
  { value: 'uploaded_at:desc', label: 'Newest first', sort: 'uploaded_at', order: 'desc' },
  { value: 'uploaded_at:asc', label: 'Oldest first', sort: 'uploaded_at', order: 'asc' },
  { value: 'filename:asc', label: 'Name A–Z', sort: 'filename', order: 'asc' },
  { value: 'filename:desc', label: 'Name Z–A', sort: 'filename', order: 'desc' },
  { value: 'file_size:desc', label: 'Largest first', sort: 'file_size', order: 'desc' },
  { value: 'file_size:asc', label: 'Smallest first', sort: 'file_size', order: 'asc' },
];

/** Saves a file: asks the API for a short-lived URL, then lets the browser fetch it. */
async function download(file: FileRecord) {
  const link = await fetchDownloadLink(file.id);
  const anchor = document.createElement('a');
  anchor.href = link.url;
  anchor.download = file.original_filename;
  anchor.rel = 'noopener';
  document.body.appendChild(anchor);
  anchor.click();
  anchor.remove();
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : 'Something went wrong.';
}

/** The folders from the bucket's root down to `prefix`: "a/b/" → ["a/", "a/b/"]. */
function folderTrail(prefix: string): { name: string; prefix: string }[] {
  const trail: { name: string; prefix: string }[] = [];
  let at = 0;
  for (;;) {
    const end = prefix.indexOf(DELIMITER, at);
    if (end < 0) break;
    trail.push({ name: prefix.slice(at, end), prefix: prefix.slice(0, end + 1) });
    at = end + 1;
  }
  const rest = prefix.slice(at);
  if (rest) trail.push({ name: `${rest}…`, prefix });
  return trail;
}

/**
 * The user's files: all of them, or one bucket's (browsed by "/" folders, or flat), searched by
 * name or key, sorted, a page at a time by keyset cursor. Refreshed every 30 s and after uploads
 * and deletes without losing the place: the bucket and folder are in the address (so Back goes
 * up a folder and a reload stays there), the page's cursor in the state.
 */
export function FileList() {
  const [searchParams, setSearchParams] = useSearchParams();
  const bucket = searchParams.get('bucket') ?? '';
  const prefix = bucket ? (searchParams.get('prefix') ?? '') : '';
  const folders = bucket !== '' && searchParams.get('view') !== 'flat';

  const [sort, setSort] = useState<SortField>('uploaded_at');
  const [order, setOrder] = useState<SortOrder>('desc');
  const [limit, setLimit] = useState(50);
  const [searchText, setSearchText] = useState('');
  const search = useDebouncedValue(searchText.trim(), SEARCH_DEBOUNCE_MS);
  const browse = folders && search === '';

  /** The cursors of the pages after the first, for the listing they belong to. */
  const listing = JSON.stringify([bucket, prefix, browse, search, sort, order, limit]);
  const [pages, setPages] = useState<{ listing: string; cursors: string[] }>({ listing, cursors: [] });
  const cursors = pages.listing === listing ? pages.cursors : [];
  const page = cursors.length + 1;

  const [pendingDelete, setPendingDelete] = useState<FileRecord | null>(null);
  const [details, setDetails] = useState<FileRecord | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);

  const params: FileListParams = {
    limit,
    sort,
    order,
    ...(bucket ? { bucket } : {}),
    ...(prefix ? { prefix } : {}),
    ...(browse ? { delimiter: DELIMITER } : {}),
    ...(search ? { search } : {}),
    ...(cursors.length ? { cursor: cursors[cursors.length - 1] } : {}),
  };
  const queryClient = useQueryClient();
  const query = useFilePage(params);
  const buckets = useBuckets();
  const deletion = useDeleteFile();
  const { data } = query;

  /** Moves to another bucket, folder or view; each is a step Back can undo. */
  function go(change: { bucket?: string; prefix?: string; flat?: boolean }) {
    const nextBucket = change.bucket ?? bucket;
    const next = new URLSearchParams(searchParams);
    for (const key of ['bucket', 'prefix', 'view']) next.delete(key);
    if (nextBucket) {
      next.set('bucket', nextBucket);
      const otherBucket = change.bucket !== undefined && change.bucket !== bucket;
      const nextPrefix = otherBucket ? '' : (change.prefix ?? prefix);
      if (nextPrefix) next.set('prefix', nextPrefix);
      // Folders unless the user unticked them (a bucket chosen from "All buckets" opens by folder).
      if (change.flat ?? (bucket !== '' && !folders)) next.set('view', 'flat');
    }
    setSearchParams(next);
  }

  function toPage(nextCursors: string[]) {
    setPages({ listing, cursors: nextCursors });
  }

  /** This page and whatever else hangs off the file list (the usage, the buckets). */
  function refresh() {
    void queryClient.invalidateQueries({ queryKey: queryKeys.files });
  }

  function sortBy(field: SortField) {
    if (field === sort) setOrder(order === 'asc' ? 'desc' : 'asc');
    else {
      setSort(field);
      setOrder(field === 'filename' ? 'asc' : 'desc');
    }
  }

  function confirmDelete() {
    if (!pendingDelete) return;
    const onlyRowOnPage = (data?.files.length ?? 0) + (data?.common_prefixes?.length ?? 0) === 1;
    deletion.mutate(pendingDelete.id, {
      onSuccess: () => {
        setPendingDelete(null);
        if (onlyRowOnPage && cursors.length > 0) toPage(cursors.slice(0, -1));
      },
    });
  }

  async function onDownload(file: FileRecord) {
    setActionError(null);
    try {
      await download(file);
    } catch (err) {
      setActionError(`Could not download ${file.original_filename}: ${errorText(err)}`);
    }
  }

  const files = data?.files ?? [];
  const subfolders = browse ? (data?.common_prefixes ?? []) : [];
  const entries = subfolders.length + files.length;
  const total = data?.total;
  const narrowed = bucket !== '' || search !== '';
  const first = entries === 0 ? 0 : (page - 1) * limit + 1;
  const last = (page - 1) * limit + entries;
  const nextCursor = data?.next_cursor ?? null;

  const bucketNames = buckets.data?.map((b) => b.name) ?? [];
  if (bucket && !bucketNames.includes(bucket)) bucketNames.push(bucket);

  const ariaSort = (field: SortField) =>
    !browse && sort === field ? (order === 'asc' ? 'ascending' : 'descending') : undefined;
  const sortHeader = (field: SortField, label: string) => (
    <th scope="col" aria-sort={ariaSort(field)}>
      {browse ? (
        label
      ) : (
        <button type="button" className="sort-button" onClick={() => sortBy(field)}>
          {label}
          <span aria-hidden="true" className="sort-arrow">
            {sort === field ? (order === 'asc' ? '▲' : '▼') : '↕'}
          </span>
        </button>
      )}
    </th>
  );

  const emptyText = !narrowed
    ? null
    : search
      ? `No files match “${search}”${bucket ? ` in ${bucket}/${prefix}` : ''}.`
      : browse
        ? prefix
          ? 'This folder is empty.'
          : 'This bucket is empty.'
        : 'No files here.';

  return (
    <section className="card" aria-labelledby="files-heading">
      <div className="section-head">
        <h2 id="files-heading">
          Your files{total !== undefined ? <span className="count"> ({formatCount(total)})</span> : null}
        </h2>
        <div className="toolbar">
          <label className="inline-label">
            Sort
            <select
              value={`${sort}:${order}`}
              disabled={browse}
              title={browse ? 'Folders list by name, as S3 does; untick Folders to sort' : undefined}
              onChange={(e) => {
                const choice = SORT_CHOICES.find((c) => c.value === e.target.value);
                if (!choice) return;
                setSort(choice.sort);
                setOrder(choice.order);
              }}
            >
              {SORT_CHOICES.map((c) => (
                <option key={c.value} value={c.value}>
                  {c.label}
                </option>
              ))}
            </select>
          </label>
          <button type="button" className="button button-small" onClick={refresh} disabled={query.isFetching}>
            {query.isFetching ? 'Refreshing…' : 'Refresh'}
          </button>
        </div>
      </div>

      <div className="file-filters" role="search" aria-label="Files">
        <label className="inline-label">
          Bucket
          <select value={bucket} onChange={(e) => go({ bucket: e.target.value })}>
            <option value="">All buckets</option>
            {bucketNames.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <label className="inline-label search-label">
          Search
          <input
            type="search"
            value={searchText}
            onChange={(e) => setSearchText(e.target.value)}
            placeholder={bucket ? `Name or key in ${bucket}/${prefix}` : 'Name or key contains…'}
            maxLength={256}
          />
        </label>
        {bucket && (
          <label className="inline-label check-label">
            <input type="checkbox" checked={folders} onChange={(e) => go({ flat: !e.target.checked })} />
            Folders
          </label>
        )}
      </div>

      {bucket && (
        <nav className="breadcrumbs" aria-label="Folder path">
          <ol>
            <li>
              {prefix ? (
                <button type="button" className="crumb" onClick={() => go({ prefix: '' })}>
                  {bucket}
                </button>
              ) : (
                <span aria-current="location">{bucket}</span>
              )}
            </li>
            {folderTrail(prefix).map((crumb) => (
              <li key={crumb.prefix}>
                {crumb.prefix === prefix ? (
                  <span aria-current="location">{crumb.name}</span>
                ) : (
                  <button type="button" className="crumb" onClick={() => go({ prefix: crumb.prefix })}>
                    {crumb.name}
                  </button>
                )}
              </li>
            ))}
          </ol>
          {search && <span className="muted"> — searching here and in every folder below</span>}
        </nav>
      )}

      {actionError && (
        <p className="banner banner-error" role="alert">
          {actionError}
        </p>
      )}
      {query.isError && data && (
        <p className="banner banner-warning" role="alert">
          Could not refresh the list: {errorText(query.error)}. Showing what we had.
        </p>
      )}

      {query.isPending ? (
        <p className="empty-state" role="status">
          Loading your files…
        </p>
      ) : query.isError && !data ? (
        <div className="empty-state" role="alert">
          <p>Your files could not be loaded: {errorText(query.error)}</p>
          <button type="button" className="button" onClick={() => query.refetch()}>
            Try again
          </button>
        </div>
      ) : entries === 0 && page === 1 ? (
        <div className="empty-state">
          {emptyText ? (
            <p>{emptyText}</p>
          ) : (
            <p>
              <strong>No files yet.</strong> Drop a file above to upload it; it will show up here.
            </p>
          )}
        </div>
      ) : (
        <>
          <div className="table-wrap">
            <table className="file-table" aria-busy={query.isFetching} aria-describedby="files-range">
              <thead>
                <tr>
                  {sortHeader('filename', 'Name')}
                  <th scope="col">Bucket</th>
                  <th scope="col">Key</th>
                  {sortHeader('file_size', 'Size')}
                  <th scope="col">Location</th>
                  {sortHeader('uploaded_at', 'Uploaded')}
                  <th scope="col">Synced</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {subfolders.map((folder) => (
                  <tr key={`folder:${folder}`} className="folder-row" data-prefix={folder}>
                    <td data-label="Name" className="cell-name">
                      <button
                        type="button"
                        className="folder-link"
                        onClick={() => go({ prefix: folder })}
                        aria-label={`Open folder ${folder.slice(prefix.length)}`}
                      >
                        <span aria-hidden="true" className="folder-icon">
                          ▸
                        </span>
                        {folder.slice(prefix.length)}
                      </button>
                    </td>
                    <td data-label="Bucket">{bucket}</td>
                    <td data-label="Key" className="cell-key">
                      <code>{folder}</code>
                    </td>
                    <td data-label="Size" className="muted">
                      Folder
                    </td>
                    <td className="cell-empty" />
                    <td className="cell-empty" />
                    <td className="cell-empty" />
                    <td className="cell-empty" />
                  </tr>
                ))}
                {files.map((file) => (
                  <tr key={file.id} data-file-id={file.id}>
                    <td data-label="Name" className="cell-name">
                      <span title={file.filename}>{file.original_filename}</span>
                    </td>
                    <td data-label="Bucket" className="cell-bucket">
                      {file.bucket}
                    </td>
                    <td data-label="Key" className="cell-key">
                      <code>{file.filename}</code>
                    </td>
                    <td data-label="Size" className="cell-num">
                      {formatBytes(file.file_size)}
                    </td>
                    <td data-label="Location">
                      <StorageBadge location={file.storage_location} />
                    </td>
                    <td data-label="Uploaded">
                      <time dateTime={file.uploaded_at}>{formatDate(file.uploaded_at)}</time>
                    </td>
                    <td data-label="Synced">
                      {file.synced_at ? (
                        <time dateTime={file.synced_at}>{formatDate(file.synced_at)}</time>
                      ) : (
                        <span className="muted">Not yet</span>
                      )}
                    </td>
                    <td className="cell-actions">
                      <button
                        type="button"
                        className="button button-small button-ghost"
                        onClick={() => setDetails(file)}
                        aria-label={`Details of ${file.original_filename} in ${file.bucket}`}
                      >
                        Details
                      </button>
                      <button
                        type="button"
                        className="button button-small"
                        onClick={() => onDownload(file)}
                        aria-label={`Download ${file.original_filename} from ${file.bucket}`}
                      >
                        Download
                      </button>
                      <button
                        type="button"
                        className="button button-small button-danger-outline"
                        onClick={() => {
                          deletion.reset();
                          setPendingDelete(file);
                        }}
                        aria-label={`Delete ${file.original_filename} from ${file.bucket}`}
                      >
                        Delete
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <nav className="pagination" aria-label="Pages of files">
            <p id="files-range" className="muted">
              {entries === 0
                ? 'Nothing on this page.'
                : `${formatCount(first)}–${formatCount(last)}${total !== undefined ? ` of ${formatCount(total)}` : nextCursor ? ', more after' : ''}`}
            </p>
            <div className="pagination-controls">
              <label className="inline-label">
                Per page
                <select value={limit} onChange={(e) => setLimit(Number(e.target.value))}>
                  {PAGE_SIZES.map((size) => (
                    <option key={size} value={size}>
                      {size}
                    </option>
                  ))}
                </select>
              </label>
              <button type="button" className="button button-small" onClick={() => toPage([])} disabled={page === 1}>
                First
              </button>
              <button
                type="button"
                className="button button-small"
                onClick={() => toPage(cursors.slice(0, -1))}
                disabled={page === 1}
              >
                Previous
              </button>
              <span className="page-indicator">
                Page {formatCount(page)}
                {total !== undefined && ` of ${formatCount(Math.max(1, Math.ceil(total / limit)))}`}
              </span>
              <button
                type="button"
                className="button button-small"
                onClick={() => nextCursor && toPage([...cursors, nextCursor])}
                disabled={!nextCursor || query.isPlaceholderData}
              >
                Next
              </button>
            </div>
          </nav>
        </>
      )}

      {details && <FileDetails file={details} onClose={() => setDetails(null)} />}

      {pendingDelete && (
        <ConfirmDialog
          title="Delete this file?"
          confirmLabel="Delete"
          busy={deletion.isPending}
          error={deletion.isError ? errorText(deletion.error) : null}
          onConfirm={confirmDelete}
          onCancel={() => setPendingDelete(null)}
        >
          <p>
            <strong>{pendingDelete.original_filename}</strong> ({formatBytes(pendingDelete.file_size)}) will be deleted from
            the bucket <code>{pendingDelete.bucket}</code>. This cannot be undone.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}
