import { useId, useRef } from 'react';
import { useFile } from '../api/queries';
import type { FileRecord } from '../api/types';
import { formatBytes, formatDate, plural } from '../lib/format';
import { StorageBadge } from './StorageBadge';
import { useModal } from './useModal';

/**
 * One file's details in a modal, tags included: shown at once from the list's row, then as
 * `GET /api/files/{id}` has it now.
 */
export function FileDetails({ file: row, onClose }: { file: FileRecord; onClose: () => void }) {
  const titleId = useId();
  const closeRef = useRef<HTMLButtonElement>(null);
  const dialogRef = useModal({ onCancel: onClose, initialFocus: closeRef });
  const query = useFile(row.id);
  const file = query.data ?? row;
  const tags = Object.entries(file.tags ?? {}).sort(([a], [b]) => a.localeCompare(b));

  return (
    <div className="modal-backdrop">
      <div ref={dialogRef} className="modal modal-wide" role="dialog" aria-modal="true" aria-labelledby={titleId}>
        <h2 id={titleId} className="modal-title break">
          {file.original_filename}
        </h2>
        {query.isError && (
          <p className="banner banner-warning" role="alert">
            Could not refresh the details: {query.error instanceof Error ? query.error.message : 'something went wrong'}.
            Showing what the list had.
          </p>
        )}
        <dl className="details-list">
          <div>
            <dt>Bucket</dt>
            <dd>
              <code>{file.bucket}</code>
            </dd>
          </div>
          <div>
            <dt>Key</dt>
            <dd>
              <code className="break" data-testid="details-key">
                {file.filename}
              </code>
            </dd>
          </div>
          <div>
            <dt>Size</dt>
            <dd>
              {formatBytes(file.file_size)} <span className="muted">({plural(file.file_size, 'byte')})</span>
            </dd>
          </div>
          <div>
            <dt>Type</dt>
            <dd>{file.content_type}</dd>
          </div>
          <div>
            <dt>Location</dt>
            <dd>
              <StorageBadge location={file.storage_location} /> {file.tier === 'cold' ? 'cold tier' : 'hot tier'}
            </dd>
          </div>
          <div>
            <dt>Uploaded</dt>
            <dd>{formatDate(file.uploaded_at)}</dd>
          </div>
          <div>
            <dt>Synced</dt>
            <dd>{file.synced_at ? formatDate(file.synced_at) : <span className="muted">Not yet</span>}</dd>
          </div>
          <div>
            <dt>ETag</dt>
            <dd>
              <code className="break">{file.etag}</code>
            </dd>
          </div>
          <div>
            <dt>Tags</dt>
            <dd>
              {tags.length === 0 ? (
                <span className="muted">No tags</span>
              ) : (
                <ul className="tag-list" aria-label="Tags">
                  {tags.map(([key, value]) => (
                    <li key={key}>
                      <code>
                        {key}={value}
                      </code>
                    </li>
                  ))}
                </ul>
              )}
            </dd>
          </div>
        </dl>
        <p className="muted details-note">Tags are set with an S3 client (PutObjectTagging, or x-amz-tagging on upload).</p>
        <div className="modal-actions">
          <button ref={closeRef} type="button" className="button" onClick={onClose}>
            Close
          </button>
        </div>
      </div>
    </div>
  );
}
