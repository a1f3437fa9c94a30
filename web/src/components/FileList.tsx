import { useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { fetchDownloadLink, queryKeys, useDeleteFile, useFilePage } from '../api/queries';
import type { FileRecord, SortField, SortOrder } from '../api/types';
import { formatBytes, formatCount, formatDate } from '../lib/format';
import { ConfirmDialog } from './ConfirmDialog';
import { StorageBadge } from './StorageBadge';

const PAGE_SIZES = [25, 50, 100];

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

/** The user's files, a page at a time, refreshed every 30 s and after uploads and deletes. */
export function FileList() {
  const [sort, setSort] = useState<SortField>('uploaded_at');
  const [order, setOrder] = useState<SortOrder>('desc');
  const [limit, setLimit] = useState(50);
  const [offset, setOffset] = useState(0);
  const [pendingDelete, setPendingDelete] = useState<FileRecord | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);

  const queryClient = useQueryClient();
  const query = useFilePage({ limit, offset, sort, order });
  const deletion = useDeleteFile();
  const { data } = query;

  /** This page and whatever else hangs off the file list (the usage on the Files page). */
  function refresh() {
    void queryClient.invalidateQueries({ queryKey: queryKeys.files });
  }

  function sortBy(field: SortField) {
    if (field === sort) setOrder(order === 'asc' ? 'desc' : 'asc');
    else {
      setSort(field);
      setOrder(field === 'filename' ? 'asc' : 'desc');
    }
    setOffset(0);
  }

  function confirmDelete() {
    if (!pendingDelete) return;
    const onlyRowOnPage = data?.files.length === 1;
    deletion.mutate(pendingDelete.id, {
      onSuccess: () => {
        setPendingDelete(null);
        if (onlyRowOnPage && offset > 0) setOffset(Math.max(0, offset - limit));
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

  const total = data?.total ?? 0;
  const first = total === 0 ? 0 : offset + 1;
  const last = Math.min(offset + limit, total);
  const page = Math.floor(offset / limit) + 1;
  const pages = Math.max(1, Math.ceil(total / limit));

  const ariaSort = (field: SortField) => (sort === field ? (order === 'asc' ? 'ascending' : 'descending') : undefined);
  const sortHeader = (field: SortField, label: string) => (
    <th scope="col" aria-sort={ariaSort(field)}>
      <button type="button" className="sort-button" onClick={() => sortBy(field)}>
        {label}
        <span aria-hidden="true" className="sort-arrow">
          {sort === field ? (order === 'asc' ? '▲' : '▼') : '↕'}
        </span>
      </button>
    </th>
  );

  return (
    <section className="card" aria-labelledby="files-heading">
      <div className="section-head">
        <h2 id="files-heading">
          Your files{data ? <span className="count"> ({formatCount(total)})</span> : null}
        </h2>
        <div className="toolbar">
          <label className="inline-label">
            Sort
            <select
              value={`${sort}:${order}`}
              onChange={(e) => {
                const choice = SORT_CHOICES.find((c) => c.value === e.target.value);
                if (!choice) return;
                setSort(choice.sort);
                setOrder(choice.order);
                setOffset(0);
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
      ) : total === 0 ? (
        <div className="empty-state">
          <p>
            <strong>No files yet.</strong> Drop a file above to upload it; it will show up here.
          </p>
        </div>
      ) : (
        <>
          <div className="table-wrap">
            <table className="file-table" aria-busy={query.isFetching} aria-describedby="files-range">
              <thead>
                <tr>
                  {sortHeader('filename', 'Name')}
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
                {data?.files.map((file) => (
                  <tr key={file.id} data-file-id={file.id}>
                    <td data-label="Name" className="cell-name">
                      <span title={file.filename}>{file.original_filename}</span>
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
                        className="button button-small"
                        onClick={() => onDownload(file)}
                        aria-label={`Download ${file.original_filename}`}
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
                        aria-label={`Delete ${file.original_filename}`}
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
              {formatCount(first)}–{formatCount(last)} of {formatCount(total)}
            </p>
            <div className="pagination-controls">
              <label className="inline-label">
                Per page
                <select
                  value={limit}
                  onChange={(e) => {
                    setLimit(Number(e.target.value));
                    setOffset(0);
                  }}
                >
                  {PAGE_SIZES.map((size) => (
                    <option key={size} value={size}>
                      {size}
                    </option>
                  ))}
                </select>
              </label>
              <button type="button" className="button button-small" onClick={() => setOffset(0)} disabled={offset === 0}>
                First
              </button>
              <button
                type="button"
                className="button button-small"
                onClick={() => setOffset(Math.max(0, offset - limit))}
                disabled={offset === 0}
              >
                Previous
              </button>
              <span className="page-indicator">
                Page {formatCount(page)} of {formatCount(pages)}
              </span>
              <button
                type="button"
                className="button button-small"
                onClick={() => setOffset(offset + limit)}
                disabled={offset + limit >= total}
              >
                Next
              </button>
              <button
                type="button"
                className="button button-small"
                onClick={() => setOffset((pages - 1) * limit)}
                disabled={offset + limit >= total}
              >
                Last
              </button>
            </div>
          </nav>
        </>
      )}

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
            Tiergate. This cannot be undone.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}

