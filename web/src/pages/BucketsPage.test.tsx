import { screen, within } from '@testing-library/react';
import { beforeEach, describe, expect, it } from 'vitest';
import { apiError, mockApi, renderApp, signIn } from '../test/utils';
import { BucketsPage } from './BucketsPage';

const buckets = {
  body: {
    buckets: [
      {
        name: 'files',
        created_at: '2026-11-01T00:00:00Z',
        hot: { objects: 1, bytes: 2048 },
        cold: { objects: 3, bytes: 3 * 1024 * 1024 },
        has_lifecycle: false,
      },
      {
        name: 'photos',
        created_at: '2026-11-02T00:00:00Z',
        hot: { objects: 0, bytes: 0 },
        cold: { objects: 1, bytes: 1024 },
        has_lifecycle: true,
      },
    ],
  },
};

const page = { path: '/buckets/:name?' };

beforeEach(() => {
  signIn();
});

describe('BucketsPage', () => {
  it("names the server's upload bucket (upload.default_bucket)", async () => {
    mockApi({
      'GET /buckets': { body: { buckets: [] } },
      'GET /auth/me': {
        body: { user_id: 1, email: 'a@example.com', is_admin: false, expires_at: 0, default_bucket: 'uploads' },
      },
    });
    renderApp(<BucketsPage />, { route: '/buckets', ...page });
    expect(await screen.findByText('uploads', { selector: 'p.lead code' })).toBeInTheDocument();
  });

  it('lists the buckets with objects and bytes per tier and whether they have rules', async () => {
    mockApi({ 'GET /buckets': buckets });
    renderApp(<BucketsPage />, { route: '/buckets', ...page });
    const table = await screen.findByRole('table');
    const [files, photos] = within(table).getAllByRole('row').slice(1);
    expect(within(files!).getByTestId('bucket-hot')).toHaveTextContent('MinIO 1 object, 2 KiB');
    expect(within(files!).getByTestId('bucket-hot').querySelector('.badge')).toHaveClass('badge-minio');
    expect(within(files!).getByTestId('bucket-cold')).toHaveTextContent('S3 3 objects, 3 MiB');
    expect(within(files!).getByTestId('bucket-cold').querySelector('.badge')).toHaveClass('badge-s3');
    expect(within(files!).getByTestId('bucket-rules')).toHaveTextContent('Default policy');
    expect(within(photos!).getByTestId('bucket-hot')).toHaveTextContent('0 objects, 0 B');
    expect(within(photos!).getByTestId('bucket-rules')).toHaveTextContent('Lifecycle rules');
    expect(within(photos!).getByRole('link', { name: 'Edit the rules of photos' })).toHaveAttribute('href', '/buckets/photos');
    expect(within(photos!).getByRole('link', { name: 'Files in photos' })).toHaveAttribute('href', '/?bucket=photos');
    expect(document.title).toBe('Buckets · Tiergate');
    // No bucket chosen: no editor.
    expect(screen.queryByRole('heading', { name: /Lifecycle rules of/ })).not.toBeInTheDocument();
  });

  it("opens the chosen bucket's rules", async () => {
    const { calls } = mockApi({
      'GET /buckets': buckets,
      'GET /buckets/photos/lifecycle': {
        body: {
          rules: [{ id: 'to-cold', status: 'Enabled', filter: {}, transitions: [{ days: 0, storageClass: 'STANDARD_IA' }] }],
          transitionDefaultMinimumObjectSize: 'all_storage_classes_128K',
        },
      },
    });
    renderApp(<BucketsPage />, { route: '/buckets/photos', ...page });
    expect(await screen.findByRole('heading', { name: 'Lifecycle rules of photos' })).toBeInTheDocument();
    expect(await screen.findByText('to-cold')).toBeInTheDocument();
    expect(screen.getByText(/All objects: to the cold tier \(STANDARD_IA\) after 0 days/)).toBeInTheDocument();
    const rows = within(screen.getByRole('table')).getAllByRole('row');
    expect(rows[2]).toHaveAttribute('aria-current', 'true');
    expect(calls.some((c) => c.path === '/buckets/photos/lifecycle')).toBe(true);
  });

  it('says so for a bucket the user does not have', async () => {
    mockApi({ 'GET /buckets': buckets });
    renderApp(<BucketsPage />, { route: '/buckets/nope', ...page });
    expect(await screen.findByRole('alert')).toHaveTextContent('You have no bucket named nope.');
  });

  it('explains how to get a bucket when there is none', async () => {
    mockApi({ 'GET /buckets': { body: { buckets: [] } } });
    renderApp(<BucketsPage />, { route: '/buckets', ...page });
    expect(await screen.findByText(/No buckets yet\./)).toHaveTextContent('Upload a file on the Files page');
  });

  it('shows an error with a way to try again', async () => {
    mockApi({ 'GET /buckets': apiError(500, 'internal', 'the catalog is unavailable') });
    renderApp(<BucketsPage />, { route: '/buckets', ...page });
    expect(await screen.findByRole('alert')).toHaveTextContent('Your buckets could not be loaded: the catalog is unavailable');
    expect(screen.getByRole('button', { name: 'Try again' })).toBeInTheDocument();
  });
});
