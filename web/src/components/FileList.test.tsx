import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { FileRecord } from '../api/types';
import { apiError, fileRecord, mockApi, renderApp, signIn } from '../test/utils';
import { FileList } from './FileList';
import { StorageBadge } from './StorageBadge';

function page(
  files: FileRecord[],
  // total: null leaves it out, as the server does for a narrowed list.
  { total = files.length as number | null, next_cursor = null as string | null, common_prefixes = undefined as string[] | undefined, limit = 50 } = {},
) {
  return {
    body: {
      files,
      limit,
      next_cursor,
      ...(total !== null ? { total } : {}),
      ...(common_prefixes ? { common_prefixes } : {}),
    },
  };
}

/** The query parameters of a recorded call. */
function query(path: string | undefined) {
  return Object.fromEntries(new URL(path ?? '/', 'http://x').searchParams);
}

const buckets = {
  body: {
    buckets: [
      { name: 'files', created_at: '2026-11-01T00:00:00Z', hot: { objects: 2, bytes: 10 }, cold: { objects: 0, bytes: 0 }, has_lifecycle: false },
      { name: 'photos', created_at: '2026-11-02T00:00:00Z', hot: { objects: 5, bytes: 50 }, cold: { objects: 1, bytes: 5 }, has_lifecycle: true },
    ],
  },
};

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
  it('lists name, bucket, key, human size, location badge, uploaded and synced dates', async () => {
    const { calls } = mockApi({ 'GET /files': page([hot, cold]) });
    renderApp(<FileList />);
    const rows = await screen.findAllByRole('row');
    expect(rows).toHaveLength(3); // header + 2
    const [first, second] = [within(rows[1]!), within(rows[2]!)];
    expect(first.getByText('notes.txt')).toBeInTheDocument();
    expect(first.getByRole('cell', { name: 'files' })).toBeInTheDocument();
    expect(first.getByText('0000-notes.txt')).toBeInTheDocument();
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
    const list = calls.filter((c) => c.path.startsWith('/files?'));
    expect(list[0]?.path).toBe('/files?limit=50&sort=uploaded_at&order=desc');
    expect(list[0]?.headers.Authorization).toBe('Bearer token-123');
    expect(screen.getByText('1–2 of 2')).toBeInTheDocument();
    expect(screen.getByRole('heading', { name: /^Your files/ })).toHaveTextContent('Your files (2)');
  });

  it('tells two photo.jpg in two buckets apart by their bucket and key', async () => {
    const a = fileRecord({ id: 1, original_filename: 'photo.jpg', filename: 'c0ffee-photo.jpg', bucket: 'files' });
    const b = fileRecord({ id: 2, original_filename: 'photo.jpg', filename: '2024/photo.jpg', bucket: 'photos' });
    mockApi({ 'GET /files': page([a, b]) });
    renderApp(<FileList />);
    const rows = (await screen.findAllByRole('row')).slice(1);
    expect(rows.map((r) => within(r).getByText('photo.jpg'))).toHaveLength(2);
    expect(within(rows[0]!).getByRole('cell', { name: 'files' })).toBeInTheDocument();
    expect(within(rows[0]!).getByText('c0ffee-photo.jpg')).toBeInTheDocument();
    expect(within(rows[1]!).getByRole('cell', { name: 'photos' })).toBeInTheDocument();
    expect(within(rows[1]!).getByText('2024/photo.jpg')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Download photo.jpg from files' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Download photo.jpg from photos' })).toBeInTheDocument();
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
    const last = () => calls.filter((c) => c.path.startsWith('/files?')).at(-1)?.path;
    expect(header('Uploaded')).toHaveAttribute('aria-sort', 'descending');

    await userEvent.click(within(header('Name')).getByRole('button'));
    await waitFor(() => expect(last()).toContain('sort=filename&order=asc'));
    expect(header('Name')).toHaveAttribute('aria-sort', 'ascending');
    await userEvent.click(within(header('Name')).getByRole('button'));
    await waitFor(() => expect(last()).toContain('sort=filename&order=desc'));

    await userEvent.click(within(header('Size')).getByRole('button'));
    await waitFor(() => expect(last()).toContain('sort=file_size&order=desc'));
    expect(header('Name')).not.toHaveAttribute('aria-sort');

    await userEvent.selectOptions(screen.getByLabelText('Sort'), 'Oldest first');
    await waitFor(() => expect(last()).toContain('sort=uploaded_at&order=asc'));
  });

  it('pages through thousands of files by cursor, back and forth', async () => {
    const { calls } = mockApi({
      'GET /files': (call) => {
        const cursor = query(call.path).cursor;
        const n = cursor ? Number(cursor.replace('after-', '')) : 0;
        return page([fileRecord({ id: n + 1, original_filename: `file-${n + 1}.bin` })], {
          total: 4321,
          next_cursor: `after-${n + 50}`,
        });
      },
    });
    renderApp(<FileList />);
    await screen.findByText('file-1.bin');
    expect(screen.getByText('1–1 of 4,321')).toBeInTheDocument();
    expect(screen.getByText('Page 1 of 87')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Previous' })).toBeDisabled();
    expect(screen.queryByRole('button', { name: 'Last' })).not.toBeInTheDocument();

    await userEvent.click(screen.getByRole('button', { name: 'Next' }));
    expect(await screen.findByText('file-51.bin')).toBeInTheDocument();
    expect(query(calls.at(-1)?.path)).toMatchObject({ cursor: 'after-50' });
    expect(query(calls.at(-1)?.path).offset).toBeUndefined();
    expect(screen.getByText('51–51 of 4,321')).toBeInTheDocument();
    expect(screen.getByText('Page 2 of 87')).toBeInTheDocument();

    await userEvent.click(screen.getByRole('button', { name: 'Next' }));
    expect(await screen.findByText('file-101.bin')).toBeInTheDocument();
    expect(query(calls.at(-1)?.path)).toMatchObject({ cursor: 'after-100' });

    await userEvent.click(screen.getByRole('button', { name: 'Previous' }));
    expect(await screen.findByText('file-51.bin')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'First' }));
    expect(await screen.findByText('file-1.bin')).toBeInTheDocument();

    await userEvent.selectOptions(screen.getByLabelText('Per page'), '100');
    await waitFor(() => expect(calls.at(-1)?.path).toBe('/files?limit=100&sort=uploaded_at&order=desc'));
  });

  it('has no Next on the last page', async () => {
    mockApi({ 'GET /files': page([hot], { total: 1, next_cursor: null }) });
    renderApp(<FileList />);
    await screen.findByText('notes.txt');
    expect(screen.getByRole('button', { name: 'Next' })).toBeDisabled();
  });

  it('refreshes every 30 seconds without dropping the rows it shows', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    let answer = page([hot]);
    let release: (() => void) | null = null;
    const { calls } = mockApi({ 'GET /files': () => answer });
    renderApp(<FileList />);
    await screen.findByText('notes.txt');
    const listCalls = () => calls.filter((c) => c.path.startsWith('/files?'));
    expect(listCalls()).toHaveLength(1);

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

  it('keeps its place (bucket, folder, page) when it refreshes itself', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const { calls } = mockApi({
      'GET /buckets': buckets,
      'GET /files': (call) =>
        query(call.path).cursor
          ? page([fileRecord({ id: 9, original_filename: 'second-page.jpg', bucket: 'photos', filename: '2024/second-page.jpg' })], { total: null })
          : page([fileRecord({ id: 8, original_filename: 'first-page.jpg', bucket: 'photos', filename: '2024/first-page.jpg' })], {
              total: null,
              next_cursor: 'k2',
              common_prefixes: [],
            }),
    });
    renderApp(<FileList />, { route: '/?bucket=photos&prefix=2024/' });
    await screen.findByText('first-page.jpg');
    await userEvent.click(screen.getByRole('button', { name: 'Next' }));
    await screen.findByText('second-page.jpg');
    const before = calls.filter((c) => c.path.startsWith('/files?')).length;
    await act(async () => {
      await vi.advanceTimersByTimeAsync(30_000);
    });
    await waitFor(() => expect(calls.filter((c) => c.path.startsWith('/files?')).length).toBeGreaterThan(before));
    expect(query(calls.filter((c) => c.path.startsWith('/files?')).at(-1)?.path)).toMatchObject({
      bucket: 'photos',
      prefix: '2024/',
      delimiter: '/',
      cursor: 'k2',
    });
    expect(screen.getByText('second-page.jpg')).toBeInTheDocument();
    expect(screen.getByText('Page 2')).toBeInTheDocument();
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

  it('filters by bucket and browses its "/" folders, folders first, with breadcrumbs', async () => {
    const { calls } = mockApi({
      'GET /buckets': buckets,
      'GET /files': (call) => {
        const q = query(call.path);
        if (!q.bucket) return page([hot, cold]);
        if (q.delimiter !== '/') {
          return page([fileRecord({ id: 5, original_filename: 'deep.jpg', bucket: 'photos', filename: '2024/june/deep.jpg' })], { total: null });
        }
        if (q.prefix === '2024/') {
          return page([fileRecord({ id: 4, original_filename: 'beach.jpg', bucket: 'photos', filename: '2024/beach.jpg' })], {
            total: null,
            common_prefixes: ['2024/june/'],
          });
        }
        return page([fileRecord({ id: 3, original_filename: 'cover.jpg', bucket: 'photos', filename: 'cover.jpg' })], {
          total: null,
          common_prefixes: ['2023/', '2024/'],
        });
      },
    });
    renderApp(<FileList />);
    await screen.findByText('notes.txt');
    const bucketSelect = screen.getByLabelText('Bucket');
    await waitFor(() => expect(within(bucketSelect).getByRole('option', { name: 'photos' })).toBeInTheDocument());
    await userEvent.selectOptions(bucketSelect, 'photos');

    await waitFor(() => expect(screen.getAllByText('cover.jpg')).toHaveLength(2)); // name and key
    expect(query(calls.at(-1)?.path)).toMatchObject({ bucket: 'photos', delimiter: '/' });
    expect(query(calls.at(-1)?.path).prefix).toBeUndefined();
    expect(screen.getByTestId('location')).toHaveTextContent('/');
    const rows = within(screen.getByRole('table')).getAllByRole('row').slice(1);
    expect(rows.map((r) => r.querySelector('.cell-name')?.textContent)).toEqual(['▸2023/', '▸2024/', 'cover.jpg']);
    // Folder view lists in key order: no sorting then.
    expect(screen.getByLabelText('Sort')).toBeDisabled();
    expect(screen.getByRole('heading', { name: /^Your files/ })).toHaveTextContent(/^Your files$/);
    const path = screen.getByRole('navigation', { name: 'Folder path' });
    expect(within(path).getByText('photos')).toHaveAttribute('aria-current', 'location');

    await userEvent.click(screen.getByRole('button', { name: 'Open folder 2024/' }));
    await screen.findByText('beach.jpg');
    expect(query(calls.at(-1)?.path)).toMatchObject({ bucket: 'photos', prefix: '2024/', delimiter: '/' });
    expect(within(path).getByText('2024')).toHaveAttribute('aria-current', 'location');
    expect(screen.getByRole('button', { name: 'Open folder june/' })).toBeInTheDocument();

    // Unticking Folders lists everything under the folder, sortable again.
    await userEvent.click(screen.getByRole('checkbox', { name: 'Folders' }));
    await screen.findByText('deep.jpg');
    expect(query(calls.at(-1)?.path)).toMatchObject({ bucket: 'photos', prefix: '2024/' });
    expect(query(calls.at(-1)?.path).delimiter).toBeUndefined();
    expect(screen.getByLabelText('Sort')).toBeEnabled();
    await userEvent.click(screen.getByRole('checkbox', { name: 'Folders' }));
    await screen.findByText('beach.jpg');

    await userEvent.click(within(path).getByRole('button', { name: 'photos' }));
    await waitFor(() => expect(screen.getAllByText('cover.jpg')).toHaveLength(2));
    await userEvent.selectOptions(screen.getByLabelText('Bucket'), 'All buckets');
    await screen.findByText('notes.txt');
    expect(calls.at(-1)?.path).toBe('/files?limit=50&sort=uploaded_at&order=desc');
    expect(screen.queryByRole('navigation', { name: 'Folder path' })).not.toBeInTheDocument();
  });

  it('opens at the bucket and folder of the address (a reload keeps the place)', async () => {
    const { calls } = mockApi({
      'GET /buckets': buckets,
      'GET /files': page([], { total: null, common_prefixes: [] }),
    });
    renderApp(<FileList />, { route: '/?bucket=photos&prefix=2024/june/' });
    expect(await screen.findByText('This folder is empty.')).toBeInTheDocument();
    expect(query(calls.find((c) => c.path.startsWith('/files?'))?.path)).toMatchObject({
      bucket: 'photos',
      prefix: '2024/june/',
      delimiter: '/',
    });
    const path = screen.getByRole('navigation', { name: 'Folder path' });
    expect(within(path).getAllByRole('listitem').map((li) => li.textContent)).toEqual(['photos', '2024', 'june']);
  });

  it('searches as the user pauses typing, not on every key', async () => {
    const { calls } = mockApi({
      'GET /files': (call) =>
        query(call.path).search ? page([cold], { total: null }) : page([hot, cold]),
    });
    renderApp(<FileList />);
    await screen.findByText('notes.txt');
    await userEvent.type(screen.getByRole('searchbox', { name: 'Search' }), 'arch');
    await waitFor(() => expect(screen.queryByText('notes.txt')).not.toBeInTheDocument());
    const searches = calls.filter((c) => query(c.path).search !== undefined).map((c) => query(c.path).search);
    expect(searches).toEqual(['arch']);
    expect(screen.getByText('archive.tar')).toBeInTheDocument();
    // A narrowed list has no total: the range says whether there is more.
    expect(screen.getByText('1–1')).toBeInTheDocument();
    expect(screen.getByRole('heading', { name: /^Your files/ })).toHaveTextContent(/^Your files$/);
  });

  it('says when a search finds nothing', async () => {
    mockApi({ 'GET /files': (call) => (query(call.path).search ? page([], { total: null }) : page([hot])) });
    renderApp(<FileList />);
    await screen.findByText('notes.txt');
    await userEvent.type(screen.getByRole('searchbox', { name: 'Search' }), 'zzz');
    expect(await screen.findByText('No files match “zzz”.')).toBeInTheDocument();
  });

  it("shows a file's details with its tags", async () => {
    const tagged = fileRecord({ ...hot, tags: { project: 'apollo', class: 'archive' } });
    const { calls } = mockApi({ 'GET /files': page([hot]), 'GET /files/1': { body: tagged } });
    renderApp(<FileList />);
    await userEvent.click(await screen.findByRole('button', { name: 'Details of notes.txt in files' }));
    const dialog = screen.getByRole('dialog', { name: 'notes.txt' });
    expect(within(dialog).getByTestId('details-key')).toHaveTextContent('0000-notes.txt');
    const tags = await within(dialog).findByRole('list', { name: 'Tags' });
    expect(within(tags).getAllByRole('listitem').map((li) => li.textContent)).toEqual(['class=archive', 'project=apollo']);
    expect(calls.some((c) => c.path === '/files/1')).toBe(true);
    await userEvent.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });

  it('says when a file has no tags', async () => {
    mockApi({ 'GET /files': page([hot]), 'GET /files/1': { body: hot } });
    renderApp(<FileList />);
    await userEvent.click(await screen.findByRole('button', { name: 'Details of notes.txt in files' }));
    expect(within(screen.getByRole('dialog')).getByText('No tags')).toBeInTheDocument();
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
    const deleteButton = screen.getByRole('button', { name: 'Delete notes.txt from files' });
    await userEvent.click(deleteButton);

    const dialog = screen.getByRole('alertdialog', { name: 'Delete this file?' });
    expect(dialog).toHaveTextContent('notes.txt (2 KiB) will be deleted from the bucket files');
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
    await userEvent.click(await screen.findByRole('button', { name: 'Download notes.txt from files' }));
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
