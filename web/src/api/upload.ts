import { getSessionState } from '../auth/session';
import { ApiError, handleUnauthorized, parseApiError } from './client';
import type { FileRecord } from './types';

/** The server's limit on one upload (`upload.max_bytes`, 100 MiB). */
export const MAX_UPLOAD_BYTES = 100 * 1024 * 1024;

export interface UploadHandle {
  promise: Promise<FileRecord>;
  abort: () => void;
}

/**
 * Uploads one file as multipart/form-data with XMLHttpRequest, because only XHR
 * reports upload progress (fetch has no upload progress events).
 * `onProgress` gets the fraction sent, 0..1.
 */
export function uploadFile(file: File, onProgress: (fraction: number) => void): UploadHandle {
  const xhr = new XMLHttpRequest();
  const promise = new Promise<FileRecord>((resolve, reject) => {
    const token = getSessionState().session?.token;
    xhr.open('POST', '/api/files/upload');
    xhr.setRequestHeader('Accept', 'application/json');
    if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
    };
    xhr.onload = () => {
      if (xhr.status === 201 || xhr.status === 200) {
        onProgress(1);
        try {
          resolve(JSON.parse(xhr.responseText) as FileRecord);
        } catch {
          reject(new ApiError(xhr.status, 'bad_response', 'The server sent an answer we could not read.'));
        }
        return;
      }
      const error = parseApiError(xhr.status, xhr.responseText);
      handleUnauthorized(error, Boolean(token));
      reject(error);
    };
    xhr.onerror = () => reject(parseApiError(0, ''));
    xhr.onabort = () => reject(new ApiError(0, 'aborted', 'The upload was cancelled.'));
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
  return { promise, abort: () => xhr.abort() };
}
