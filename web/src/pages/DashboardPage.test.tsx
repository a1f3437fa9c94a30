import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { fileRecord, mockApi, renderApp, signIn, type RecordedCall } from '../test/utils';
import { DashboardPage } from './DashboardPage';

/** An XMLHttpRequest that reports full progress and answers 201 with the given record. */
function instantXhr(record: object, status = 201) {
  return class {
    status = 0;
    responseText = '';
    upload: { onprogress: ((e: object) => void) | null } = { onprogress: null };
    onload: (() => void) | null = null;
    onerror = null;
    onabort = null;
    open() {}
    setRequestHeader() {}
    abort() {}
    send() {
      queueMicrotask(() => {
        this.upload.onprogress?.({ lengthComputable: true, loaded: 10, total: 10 });
        this.status = status;
        this.responseText = JSON.stringify(record);
        this.onload?.();
      });
    }
  };
}

const MiB = 1024 * 1024;

function usage(
  { hot = 0, cold = 0, hotObjects = 0, coldObjects = 0 } = {},
  quota: { bytes: number | null; objects: number | null } = { bytes: null, objects: null },
) {
  return {
    body: {
      usage: {
        bytes: hot + cold,
        objects: hotObjects + coldObjects,
        hot_bytes: hot,
        hot_objects: hotObjects,
        cold_bytes: cold,
        cold_objects: coldObjects,
      },
      quota: { ...quota, custom: true },
    },
  };
}

function filesAnswer(files: object[]) {
  return { body: { files, total: files.length, limit: 50, offset: 0 } };
}

const usageCalls = (calls: RecordedCall[]) => calls.filter((c) => c.path === '/usage').length;

describe('DashboardPage', () => {
  it('refreshes the file list right after an upload', async () => {
    signIn();
    const uploaded = fileRecord({ id: 5, original_filename: 'fresh.csv' });
    let files: object[] = [];
    const { calls } = mockApi({ 'GET /files': () => ({ body: { files, total: files.length, limit: 50, offset: 0 } }) });
    vi.stubGlobal('XMLHttpRequest', instantXhr(uploaded));
    renderApp(<DashboardPage />);
    expect(await screen.findByText('No files yet.')).toBeInTheDocument();

    files = [uploaded];
    await userEvent.upload(screen.getByLabelText('Files to upload'), new File(['a,b\n'], 'fresh.csv'));
    expect(await screen.findByRole('cell', { name: 'fresh.csv' })).toBeInTheDocument();
    await waitFor(() => expect(calls.filter((c) => c.path.startsWith('/files?')).length).toBe(2));
    expect(document.title).toBe('Files · Tiergate');

    await userEvent.click(screen.getByRole('button', { name: 'Clear finished' }));
    expect(screen.queryByRole('list', { name: 'Uploads' })).not.toBeInTheDocument();
  });

  it("shows the user's usage against the quota, split by tier, with objects when they have a quota", async () => {
    signIn();
    const { calls } = mockApi({
      'GET /files': filesAnswer([]),
      'GET /usage': usage({ hot: 1 * MiB, cold: 3 * MiB, hotObjects: 2, coldObjects: 6 }, { bytes: 10 * MiB, objects: 100 }),
    });
    renderApp(<DashboardPage />);
    const bytes = await screen.findByTestId('usage-bytes');
    expect(within(bytes).getByText('4 MiB of 10 MiB used')).toBeInTheDocument();
    expect(within(bytes).getByRole('img')).toHaveAccessibleName(
      'Storage: 4 MiB of 10 MiB used (40%); 1 MiB in the hot tier (MinIO), 3 MiB in the cold tier (S3)',
    );
    expect(bytes.querySelector<HTMLElement>('.usage-hot')?.style.width).toBe('10%');
    expect(bytes.querySelector<HTMLElement>('.usage-cold')?.style.width).toBe('30%');
    expect(within(screen.getByTestId('usage-objects')).getByText('8 of 100 objects used')).toBeInTheDocument();
    expect(calls.find((c) => c.path === '/usage')?.headers.Authorization).toBe('Bearer token-123');
  });

  it('says "no quota" when the user has none, and leaves objects out', async () => {
    signIn();
    mockApi({ 'GET /files': filesAnswer([]), 'GET /usage': usage({ hot: 1536, cold: 0, hotObjects: 1 }) });
    renderApp(<DashboardPage />);
    expect(await screen.findByText('1.5 KiB used, no quota')).toBeInTheDocument();
    expect(screen.queryByTestId('usage-objects')).not.toBeInTheDocument();
  });

  it('refreshes the usage with the file list: after an upload, after a delete, and every 30 seconds', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    signIn();
    const uploaded = fileRecord({ id: 5, original_filename: 'fresh.csv', file_size: MiB });
    let files: object[] = [];
    let stored = 0;
    const { calls } = mockApi({
      'GET /files': () => filesAnswer(files),
      'GET /usage': () => usage({ hot: stored, hotObjects: files.length }, { bytes: 2 * MiB, objects: null }),
      'DELETE /files/5': () => {
        files = [];
        stored = 0;
        return { status: 204 };
      },
    });
    vi.stubGlobal('XMLHttpRequest', instantXhr(uploaded));
    renderApp(<DashboardPage />);
    expect(await screen.findByText('0 B of 2 MiB used')).toBeInTheDocument();
    expect(usageCalls(calls)).toBe(1);

    files = [uploaded];
    stored = MiB;
    await userEvent.upload(screen.getByLabelText('Files to upload'), new File(['a,b\n'], 'fresh.csv'));
    expect(await screen.findByText('1 MiB of 2 MiB used')).toBeInTheDocument();
    expect(usageCalls(calls)).toBe(2);

    await userEvent.click(await screen.findByRole('button', { name: 'Delete fresh.csv from files' }));
    await userEvent.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Delete' }));
    expect(await screen.findByText('0 B of 2 MiB used')).toBeInTheDocument();
    expect(usageCalls(calls)).toBe(3);

    stored = 512 * 1024;
    await act(async () => {
      await vi.advanceTimersByTimeAsync(30_000);
    });
    expect(await screen.findByText('512 KiB of 2 MiB used')).toBeInTheDocument();

    // The file list's Refresh button refreshes the usage too.
    const before = usageCalls(calls);
    stored = MiB;
    await userEvent.click(screen.getByRole('button', { name: 'Refresh' }));
    expect(await screen.findByText('1 MiB of 2 MiB used')).toBeInTheDocument();
    expect(usageCalls(calls)).toBe(before + 1);
  });

  it("shows the server's quota refusal on the upload, naming the limit", async () => {
    signIn();
    mockApi({ 'GET /files': filesAnswer([]), 'GET /usage': usage({ hot: MiB - 10 }, { bytes: MiB, objects: null }) });
    const refusal = {
      error: {
        code: 'quota_exceeded',
        message: 'the upload would pass your storage quota: a quota of 1048576 bytes; delete files, or ask an admin for more',
      },
    };
    vi.stubGlobal('XMLHttpRequest', instantXhr(refusal, 413));
    renderApp(<DashboardPage />);
    await screen.findByText('1024 KiB of 1 MiB used');
    await userEvent.upload(screen.getByLabelText('Files to upload'), new File(['0123456789abcdef'], 'over.bin'));
    const uploads = await screen.findByRole('list', { name: 'Uploads' });
    expect(await within(uploads).findByRole('alert')).toHaveTextContent(
      'Upload failed: Over your storage quota. The upload would pass your storage quota: a quota of 1 MiB; delete files, or ask an admin for more',
    );
  });
});
