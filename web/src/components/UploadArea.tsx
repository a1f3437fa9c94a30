import { useCallback, useEffect, useRef, useState } from 'react';
import { useDropzone } from 'react-dropzone';
import { ApiError } from '../api/client';
import type { FileRecord } from '../api/types';
import { MAX_UPLOAD_BYTES, uploadFile, type UploadHandle } from '../api/upload';
import { formatBytes, readableQuotaMessage } from '../lib/format';
import { StorageBadge } from './StorageBadge';

type UploadStatus = 'uploading' | 'done' | 'error' | 'too-large';

interface UploadItem {
  key: number;
  file: File;
  status: UploadStatus;
  /** 0..1 */
  progress: number;
  result?: FileRecord;
  error?: string;
  /** The server refused it for the user's quota: more room is needed before a retry helps. */
  quota?: boolean;
}

interface UploadAreaProps {
  /** Called after each successful upload, e.g. to refresh the file list. */
  onUploaded?: (file: FileRecord) => void;
  /** Injected in tests; the real one sends the file with XMLHttpRequest. */
  upload?: (file: File, onProgress: (fraction: number) => void) => UploadHandle;
  maxBytes?: number;
}

const TIER_NAMES: Record<string, string> = { minio: 'hot tier (MinIO)', s3: 'cold tier (S3)' };

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Drag-and-drop (or choose) files; each one uploads on its own with its own progress bar. */
export function UploadArea({ onUploaded, upload = uploadFile, maxBytes = MAX_UPLOAD_BYTES }: UploadAreaProps) {
  const [items, setItems] = useState<UploadItem[]>([]);
  const nextKey = useRef(1);
  const handles = useRef(new Map<number, UploadHandle>());

  useEffect(() => {
    const live = handles.current;
    return () => live.forEach((handle) => handle.abort());
  }, []);

  const update = useCallback((key: number, change: Partial<UploadItem>) => {
    setItems((current) => current.map((item) => (item.key === key ? { ...item, ...change } : item)));
  }, []);

  const start = useCallback(
    (key: number, file: File) => {
      const handle = upload(file, (fraction) => update(key, { progress: fraction }));
      handles.current.set(key, handle);
      handle.promise.then(
        (result) => {
          handles.current.delete(key);
          update(key, { status: 'done', progress: 1, result });
          onUploaded?.(result);
        },
        (err: unknown) => {
          handles.current.delete(key);
          if (err instanceof ApiError && err.code === 'aborted') return;
          const message =
            err instanceof ApiError && err.code === 'quota_exceeded'
              ? `Over your storage quota. ${capitalize(readableQuotaMessage(err.message))}`
              : err instanceof ApiError && err.status === 413
                ? `The server refused it: ${err.message}`
                : err instanceof Error
                  ? err.message
                  : 'The upload failed.';
          update(key, { status: 'error', error: message, quota: err instanceof ApiError && err.code === 'quota_exceeded' });
        },
      );
    },
    [upload, update, onUploaded],
  );

  const onDrop = useCallback(
    (accepted: File[]) => {
      const added: UploadItem[] = accepted.map((file) => ({
        key: nextKey.current++,
        file,
        status: file.size > maxBytes ? 'too-large' : 'uploading',
        progress: 0,
      }));
      setItems((current) => [...added, ...current]);
      added.filter((item) => item.status === 'uploading').forEach((item) => start(item.key, item.file));
    },
    [maxBytes, start],
  );

  const retry = (item: UploadItem) => {
    update(item.key, { status: 'uploading', progress: 0, error: undefined, quota: undefined });
    start(item.key, item.file);
  };

  const clearFinished = () => setItems((current) => current.filter((item) => item.status === 'uploading'));

  const dismiss = (key: number) => setItems((current) => current.filter((item) => item.key !== key));

  const { getRootProps, getInputProps, isDragActive } = useDropzone({ onDrop, multiple: true, noKeyboard: true });

  return (
    <section className="card upload-card" aria-labelledby="upload-heading">
      <h2 id="upload-heading">Upload files</h2>
      <div {...getRootProps({ className: `dropzone${isDragActive ? ' dropzone-active' : ''}`, tabIndex: -1 })}>
        <input {...getInputProps({ 'aria-label': 'Files to upload' })} data-testid="upload-input" />
        <p className="dropzone-text">{isDragActive ? 'Drop the files to upload them' : 'Drag files here, or'}</p>
        <button type="button" className="button button-primary">
          Choose files
        </button>
        <p className="dropzone-hint">Up to {formatBytes(maxBytes)} per file. New files land in the hot tier.</p>
      </div>
      {items.some((item) => item.status !== 'uploading') && (
        <div className="upload-toolbar">
          <button type="button" className="button button-small button-ghost" onClick={clearFinished}>
            Clear finished
          </button>
        </div>
      )}
      {items.length > 0 && (
        <ul className="upload-list" aria-label="Uploads">
          {items.map((item) => (
            <UploadRow key={item.key} item={item} onRetry={() => retry(item)} onDismiss={() => dismiss(item.key)} maxBytes={maxBytes} />
          ))}
        </ul>
      )}
    </section>
  );
}

function UploadRow({
  item,
  onRetry,
  onDismiss,
  maxBytes,
}: {
  item: UploadItem;
  onRetry: () => void;
  onDismiss: () => void;
  maxBytes: number;
}) {
  const percent = Math.round(item.progress * 100);
  const name = item.file.name;
  return (
    <li className={`upload-item upload-${item.status}`} data-status={item.status} data-quota={item.quota ? 'exceeded' : undefined}>
      <div className="upload-head">
        <span className="upload-name" title={name}>
          {name}
        </span>
        <span className="upload-size">{formatBytes(item.file.size)}</span>
      </div>
      {item.status === 'uploading' && (
        <div className="upload-progress">
          <progress value={percent} max={100} aria-label={`Uploading ${name}`} />
          <span className="upload-percent" aria-hidden="true">
            {percent}%
          </span>
        </div>
      )}
      {item.status === 'done' && item.result && (
        <p className="upload-message" role="status">
          <span className="ok-mark" aria-hidden="true">
            ✓
          </span>{' '}
          Uploaded to the {TIER_NAMES[item.result.storage_location] ?? item.result.storage_location}{' '}
          <StorageBadge location={item.result.storage_location} /> in bucket <code>{item.result.bucket}</code>
        </p>
      )}
      {item.status === 'too-large' && (
        <p className="upload-message upload-error-text" role="alert">
          Not uploaded: {name} is {formatBytes(item.file.size)}, over the {formatBytes(maxBytes)} limit.
        </p>
      )}
      {item.status === 'error' && (
        <p className="upload-message upload-error-text" role="alert">
          Upload failed: {item.error}
        </p>
      )}
      {item.status !== 'uploading' && (
        <div className="upload-actions">
          {item.status === 'error' && (
            <button type="button" className="button button-small" onClick={onRetry} aria-label={`Retry ${name}`}>
              Retry
            </button>
          )}
          <button type="button" className="button button-small button-ghost" onClick={onDismiss} aria-label={`Dismiss ${name}`}>
            Dismiss
          </button>
        </div>
      )}
    </li>
  );
}
