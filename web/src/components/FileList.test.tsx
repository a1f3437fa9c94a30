import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { FileRecord } from '../api/types';
import { apiError, fileRecord, mockApi, renderApp, signIn } from '../test/utils';
import { FileList } from './FileList';
import { StorageBadge } from './StorageBadge';

function page(files: FileRecord[], total = files.length, offset = 0, limit = 50) {
  return { body: { files, total, limit, offset } };
}

const hot = fileRecord({ id: 1, original_filename: 'notes.txt', file_size: 2048, storage_location: 'minio' });
const cold = fileRecord({
  id: 2,
  original_filename: 'archive.tar',
  file_size: 5 * 1024 * 1024 * 1024,
  storage_location: 's3',
  tier: 'cold',
  synced_at: '2026-11-21T00:00:05Z',
});

beforeEach(() => {
  signIn();
});

describe('StorageBadge', () => {
  it('is a blue MinIO badge for the hot tier and a green S3 badge for the cold tier', () => {
    renderApp(
      <>
        <StorageBadge location="minio" />
        <StorageBadge location="s3" />
        <StorageBadge location="glacier" />
      </>,
    );
    expect(screen.getByText('MinIO')).toHaveClass('badge', 'badge-minio');
    expect(screen.getByText('MinIO')).toHaveAttribute('title', 'Stored in the hot tier (MinIO)');
    expect(screen.getByText('S3')).toHaveClass('badge', 'badge-s3');
    expect(screen.getByText('S3')).toHaveAttribute('title', 'Stored in the cold tier (S3)');
    expect(screen.getByText('glacier')).toHaveClass('badge-other');
  });
});

describe('FileList', () => {
  it('lists name, human size, location badge, uploaded and synced dates', async () => {
    const { calls } = mockApi({ 'GET /files': page([hot, cold]) });
    renderApp(<FileList />);
    const rows = await screen.findAllByRole('row');
    expect(rows).toHaveLength(3); // header + 2
    const [first, second] = [within(rows[1]!), within(rows[2]!)];
    expect(first.getByText('notes.txt')).toBeInTheDocument();
    expect(first.getByText('2 KiB')).toBeInTheDocument();
    expect(first.getByText('MinIO')).toHaveClass('badge-minio');
    expect(first.getByText('Not yet')).toBeInTheDocument();
    expect(second.getByText('archive.tar')).toBeInTheDocument();
    expect(second.getByText('5 GiB')).toBeInTheDocument();
    expect(second.getByText('S3')).toHaveClass('badge-s3');
    expect(second.getAllByRole('time').map((t) => t.getAttribute('datetime'))).toEqual([
      '2026-11-20T10:00:00Z',
      '2026-11-21T00:00:05Z',
    ]);
    expect(calls[0]?.path).toBe('/files?limit=50&offset=0&sort=uploaded_at&order=desc');
    expect(calls[0]?.headers.Authorization).toBe('Bearer token-123');
    expect(screen.getByText('1–2 of 2')).toBeInTheDocument();
  });

  it('shows an empty state', async () => {
    mockApi({ 'GET /files': page([]) });
    renderApp(<FileList />);
    expect(await screen.findByText('No files yet.')).toBeInTheDocument();
    expect(screen.queryByRole('table')).not.toBeInTheDocument();
  });

  it('shows an error state with a way to try again', async () => {
    let fail = true;
    mockApi({
      'GET /files': () => (fail ? apiError(500, 'internal', 'the catalog is unavailable') : page([hot])),
    });
    renderApp(<FileList />);
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Your files could not be loaded: the catalog is unavailable');
    fail = false;
    await userEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByText('notes.txt')).toBeInTheDocument();
  });

  it('sorts by name, size and date through the column headers', async () => {
    const { calls } = mockApi({ 'GET /files': page([hot, cold]) });
    renderApp(<FileList />);
    await screen.findByText('notes.txt');
    const header = (name: string) => screen.getByRole('columnheader', { name: new RegExp(name) });
    expect(header('Uploaded')).toHaveAttribute('aria-sort', 'descending');

    await userEvent.click(within(header('Name')).getByRole('button'));
    await waitFor(() => expect(calls.at(-1)?.path).toContain('sort=filename&order=asc'));
    expect(header('Name')).toHaveAttribute('aria-sort', 'ascending');
    await userEvent.click(within(header('Name')).getByRole('button'));
    await waitFor(() => expect(calls.at(-1)?.path).toContain('sort=filename&order=desc'));

    await userEvent.click(within(header('Size')).getByRole('button'));
    await waitFor(() => expect(calls.at(-1)?.path).toContain('sort=file_size&order=desc'));
    expect(header('Name')).not.toHaveAttribute('aria-sort');

    await userEvent.selectOptions(screen.getByLabelText('Sort'), 'Oldest first');
    await waitFor(() => expect(calls.at(-1)?.path).toContain('sort=uploaded_at&order=asc'));
  });

  it('pages through thousands of files', async () => {
    const { calls } = mockApi({
      'GET /files': (call) => {
        const offset = Number(new URL(call.path, 'http://x').searchParams.get('offset'));
        return page([fileRecord({ id: offset + 1, original_filename: `file-${offset + 1}.bin` })], 4321, offset);
      },
    });
    renderApp(<FileList />);
    await screen.findByText('file-1.bin');
    expect(screen.getByText('1–50 of 4,321')).toBeInTheDocument();
    expect(screen.getByText('Page 1 of 87')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Previous' })).toBeDisabled();

    await userEvent.click(screen.getByRole('button', { name: 'Next' }));
    expect(await screen.findByText('file-51.bin')).toBeInTheDocument();
    expect(screen.getByText('51–100 of 4,321')).toBeInTheDocument();

    await userEvent.click(screen.getByRole('button', { name: 'Last' }));
    expect(await screen.findByText('file-4301.bin')).toBeInTheDocument();
    expect(screen.getByText('4,301–4,321 of 4,321')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Next' })).toBeDisabled();

    await userEvent.selectOptions(screen.getByLabelText('Per page'), '100');
    await waitFor(() => expect(calls.at(-1)?.path).toBe('/files?limit=100&offset=0&sort=uploaded_at&order=desc'));
  });

  it('refreshes every 30 seconds without dropping the rows it shows', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    let answer = page([hot]);
    let release: (() => void) | null = null;
    const { calls } = mockApi({ 'GET /files': () => answer });
    renderApp(<FileList />);
    await screen.findByText('notes.txt');
    expect(calls).toHaveLength(1);

    // The next answer is held back, to look at the list while it refreshes.
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const original = globalThis.fetch;
    vi.stubGlobal('fetch', async (...args: Parameters<typeof fetch>) => {
      await gate;
      return original(...args);
    });
    answer = page([fileRecord({ ...hot, storage_location: 's3', tier: 'cold', synced_at: '2026-11-21T00:00:00Z' })]);
    await act(async () => {
      await vi.advanceTimersByTimeAsync(30_000);
    });
    expect(screen.getByRole('button', { name: 'Refreshing…' })).toBeDisabled();
    expect(screen.getByText('notes.txt')).toBeInTheDocument();
    expect(screen.getByText('MinIO')).toBeInTheDocument();
    expect(screen.getByRole('table')).toHaveAttribute('aria-busy', 'true');

    await act(async () => release!());
    await waitFor(() => expect(screen.getByText('S3')).toHaveClass('badge-s3'));
    expect(screen.getByText('notes.txt')).toBeInTheDocument();
  });

  it('refreshes on demand with the Refresh button', async () => {
    let location = 'minio';
    mockApi({ 'GET /files': () => page([fileRecord({ ...hot, storage_location: location })]) });
    renderApp(<FileList />);
    await screen.findByText('MinIO');
    location = 's3';
    await userEvent.click(screen.getByRole('button', { name: 'Refresh' }));
    expect(await screen.findByText('S3')).toBeInTheDocument();
  });

  it('deletes a file after confirmation, then refreshes', async () => {
    let files = [hot, cold];
    const { calls } = mockApi({
      'GET /files': () => page(files),
      'DELETE /files/1': () => {
        files = [cold];
        return { status: 204 };
      },
    });
    renderApp(<FileList />);
    await screen.findByText('notes.txt');
    const deleteButton = screen.getByRole('button', { name: 'Delete notes.txt' });
    await userEvent.click(deleteButton);

    const dialog = screen.getByRole('alertdialog', { name: 'Delete this file?' });
    expect(dialog).toHaveTextContent('notes.txt (2 KiB) will be deleted');
    expect(within(dialog).getByRole('button', { name: 'Cancel' })).toHaveFocus();

    // Escape cancels without deleting.
    await userEvent.keyboard('{Escape}');
    expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument();
    expect(calls.some((c) => c.method === 'DELETE')).toBe(false);

    await userEvent.click(deleteButton);
    await userEvent.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Delete' }));
    await waitFor(() => expect(screen.queryByText('notes.txt')).not.toBeInTheDocument());
    expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument();
    expect(screen.getByText('archive.tar')).toBeInTheDocument();
    expect(calls.filter((c) => c.method === 'DELETE').map((c) => c.path)).toEqual(['/files/1']);
  });

  it('downloads through a short-lived link from the API', async () => {
    const { calls } = mockApi({
      'GET /files': page([hot]),
      'GET /files/1/download': { body: { url: 'http://localhost/api/blobs/1?sig=abc', expires_in: 900 } },
    });
    const clicked: { href: string; download: string }[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push({ href: this.href, download: this.download });
    });
    renderApp(<FileList />);
    await userEvent.click(await screen.findByRole('button', { name: 'Download notes.txt' }));
    await waitFor(() => expect(clicked).toEqual([{ href: 'http://localhost/api/blobs/1?sig=abc', download: 'notes.txt' }]));
    expect(calls.at(-1)).toMatchObject({ method: 'GET', path: '/files/1/download?redirect=false' });
  });

  it('logs out and sends the user to the login page when the token has expired', async () => {
    mockApi({ 'GET /files': apiError(401, 'unauthorized', 'the token is invalid or has expired; log in again') });
    renderApp(<FileList />, { protectedRoute: true });
    const state = await screen.findByTestId('login-state');
    expect(JSON.parse(state.textContent ?? '{}')).toMatchObject({ reason: 'expired', from: '/' });
    expect(localStorage.getItem('tiergate.session')).toBeNull();
  });
});
