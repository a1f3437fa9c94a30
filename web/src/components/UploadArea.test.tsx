import { act, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/client';
import type { FileRecord } from '../api/types';
import type { UploadHandle } from '../api/upload';
import { fileRecord, renderApp } from '../test/utils';
import { UploadArea } from './UploadArea';

/** A stand-in for the XHR upload that the test drives by hand. */
function controllableUpload() {
  const pending: {
    file: File;
    progress: (fraction: number) => void;
    resolve: (record: FileRecord) => void;
    reject: (err: unknown) => void;
  }[] = [];
  const upload = vi.fn((file: File, onProgress: (fraction: number) => void): UploadHandle => {
    let resolve!: (record: FileRecord) => void;
    let reject!: (err: unknown) => void;
    const promise = new Promise<FileRecord>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    pending.push({ file, progress: onProgress, resolve, reject });
    return { promise, abort: vi.fn() };
  });
  return { upload, pending };
}

function fileOfSize(name: string, size: number): File {
  const file = new File(['x'], name, { type: 'application/octet-stream' });
  Object.defineProperty(file, 'size', { value: size });
  return file;
}

function setup(props: Partial<Parameters<typeof UploadArea>[0]> = {}) {
  const { upload, pending } = controllableUpload();
  const onUploaded = vi.fn();
  renderApp(<UploadArea upload={upload} onUploaded={onUploaded} {...props} />);
  const input = screen.getByLabelText('Files to upload');
  return { upload, pending, onUploaded, input };
}

describe('UploadArea', () => {
  it("shows the chosen file's name and size, its progress, then where it landed", async () => {
    const { pending, onUploaded, input } = setup();
    await userEvent.upload(input, fileOfSize('holiday.jpg', 3 * 1024 * 1024));

    const item = screen.getByRole('listitem');
    expect(within(item).getByText('holiday.jpg')).toBeInTheDocument();
    expect(within(item).getByText('3 MiB')).toBeInTheDocument();
    const bar = within(item).getByRole('progressbar', { name: 'Uploading holiday.jpg' });
    expect(bar).toHaveAttribute('value', '0');

    act(() => pending[0]!.progress(0.42));
    expect(bar).toHaveAttribute('value', '42');
    expect(within(item).getByText('42%')).toBeInTheDocument();

    const record = fileRecord({ original_filename: 'holiday.jpg', storage_location: 'minio' });
    await act(async () => pending[0]!.resolve(record));
    expect(within(item).queryByRole('progressbar')).not.toBeInTheDocument();
    expect(within(item).getByRole('status')).toHaveTextContent('Uploaded to the hot tier (MinIO) MinIO in bucket files');
    expect(onUploaded).toHaveBeenCalledWith(record);
  });

  it('uploads several files at once, each with its own progress', async () => {
    const { pending, upload, input } = setup();
    await userEvent.upload(input, [fileOfSize('a.txt', 10), fileOfSize('b.txt', 20)]);
    expect(upload).toHaveBeenCalledTimes(2);
    act(() => {
      pending[0]!.progress(0.25);
      pending[1]!.progress(0.75);
    });
    expect(screen.getByRole('progressbar', { name: 'Uploading a.txt' })).toHaveAttribute('value', '25');
    expect(screen.getByRole('progressbar', { name: 'Uploading b.txt' })).toHaveAttribute('value', '75');
    await act(async () => pending[1]!.resolve(fileRecord({ id: 2, original_filename: 'b.txt' })));
    expect(screen.getByRole('progressbar', { name: 'Uploading a.txt' })).toBeInTheDocument();
    expect(screen.queryByRole('progressbar', { name: 'Uploading b.txt' })).not.toBeInTheDocument();
  });

  it('shows an error with a retry button that sends the file again', async () => {
    const { pending, upload, input, onUploaded } = setup();
    await userEvent.upload(input, fileOfSize('flaky.bin', 1000));
    await act(async () => pending[0]!.reject(new ApiError(500, 'internal', 'the hot tier is unavailable')));
    expect(screen.getByRole('alert')).toHaveTextContent('Upload failed: the hot tier is unavailable');

    await userEvent.click(screen.getByRole('button', { name: 'Retry flaky.bin' }));
    expect(upload).toHaveBeenCalledTimes(2);
    expect(upload.mock.calls[1]![0].name).toBe('flaky.bin');
    expect(screen.getByRole('progressbar', { name: 'Uploading flaky.bin' })).toBeInTheDocument();
    await act(async () => pending[1]!.resolve(fileRecord({ original_filename: 'flaky.bin' })));
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    expect(onUploaded).toHaveBeenCalledTimes(1);
  });

  it('refuses a file over 100 MiB before sending it', async () => {
    const { upload, input } = setup();
    await userEvent.upload(input, [fileOfSize('huge.iso', 101 * 1024 * 1024), fileOfSize('ok.txt', 5)]);
    expect(screen.getByRole('alert')).toHaveTextContent('Not uploaded: huge.iso is 101 MiB, over the 100 MiB limit.');
    expect(upload).toHaveBeenCalledTimes(1);
    expect(upload.mock.calls[0]![0].name).toBe('ok.txt');
  });

  it('accepts a file of exactly the limit', async () => {
    const { upload, input } = setup();
    await userEvent.upload(input, fileOfSize('edge.bin', 100 * 1024 * 1024));
    expect(upload).toHaveBeenCalledTimes(1);
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('shows the server refusing an upload (413)', async () => {
    const { pending, input } = setup();
    await userEvent.upload(input, fileOfSize('big.bin', 1000));
    await act(async () =>
      pending[0]!.reject(new ApiError(413, 'payload_too_large', 'the file is larger than the limit of 104857600 bytes')),
    );
    expect(screen.getByRole('alert')).toHaveTextContent('The server refused it: the file is larger than the limit');
  });

  it('shows a quota refusal (413 quota_exceeded) with the limit it names, in readable units', async () => {
    const { pending, input, onUploaded } = setup();
    await userEvent.upload(input, fileOfSize('video.mp4', 2 * 1024 * 1024));
    await act(async () =>
      pending[0]!.reject(
        new ApiError(
          413,
          'quota_exceeded',
          'the upload would pass your storage quota: a quota of 1048576 bytes; delete files, or ask an admin for more',
        ),
      ),
    );
    const item = screen.getByRole('listitem');
    expect(item).toHaveAttribute('data-status', 'error');
    expect(item).toHaveAttribute('data-quota', 'exceeded');
    expect(within(item).getByRole('alert')).toHaveTextContent(
      'Upload failed: Over your storage quota. The upload would pass your storage quota: a quota of 1 MiB; delete files, or ask an admin for more',
    );
    expect(within(item).getByRole('button', { name: 'Retry video.mp4' })).toBeInTheDocument();
    expect(onUploaded).not.toHaveBeenCalled();
  });

  it('names an object quota the same way', async () => {
    const { pending, input } = setup();
    await userEvent.upload(input, fileOfSize('one-more.txt', 10));
    await act(async () =>
      pending[0]!.reject(new ApiError(413, 'quota_exceeded', 'the upload would pass your storage quota: a quota of 1000 objects')),
    );
    expect(screen.getByRole('alert')).toHaveTextContent('a quota of 1,000 objects');
  });

  it('lets finished uploads be dismissed', async () => {
    const { pending, input } = setup();
    await userEvent.upload(input, fileOfSize('done.txt', 5));
    await act(async () => pending[0]!.resolve(fileRecord({ original_filename: 'done.txt' })));
    await userEvent.click(screen.getByRole('button', { name: 'Dismiss done.txt' }));
    expect(screen.queryByText('done.txt')).not.toBeInTheDocument();
  });

  it('opens the file chooser from a keyboard-reachable button', async () => {
    setup();
    const button = screen.getByRole('button', { name: 'Choose files' });
    await userEvent.tab();
    expect(button).toHaveFocus();
  });
});
