import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { fileRecord, mockApi, renderApp, signIn } from '../test/utils';
import { DashboardPage } from './DashboardPage';

/** An XMLHttpRequest that reports full progress and answers 201 with the given record. */
function instantXhr(record: object) {
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
        this.status = 201;
        this.responseText = JSON.stringify(record);
        this.onload?.();
      });
    }
  };
}

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
});
