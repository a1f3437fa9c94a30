import { Link, useParams } from 'react-router';
import { useBuckets, useDefaultBucket } from '../api/queries';
import type { BucketSummary } from '../api/types';
import { LifecycleEditor } from '../components/LifecycleEditor';
import { StorageBadge } from '../components/StorageBadge';
import { formatBytes, formatDate, plural } from '../lib/format';
import { useDocumentTitle } from '../lib/useDocumentTitle';

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : 'Something went wrong.';
}

function TierFigures({ location, objects, bytes }: { location: 'minio' | 's3'; objects: number; bytes: number }) {
  return (
    <span className="tier-figures">
      <StorageBadge location={location} /> {plural(objects, 'object')}, {formatBytes(bytes)}
    </span>
  );
}

function BucketRow({ bucket, selected }: { bucket: BucketSummary; selected: boolean }) {
  const path = `/buckets/${encodeURIComponent(bucket.name)}`;
  return (
    <tr data-bucket={bucket.name} aria-current={selected ? 'true' : undefined}>
      <td data-label="Bucket" className="cell-name">
        <Link to={path} aria-label={`Rules of ${bucket.name}`}>
          {bucket.name}
        </Link>
      </td>
      <td data-label="Hot tier" className="cell-tier" data-testid="bucket-hot">
        <TierFigures location="minio" objects={bucket.hot.objects} bytes={bucket.hot.bytes} />
      </td>
      <td data-label="Cold tier" className="cell-tier" data-testid="bucket-cold">
        <TierFigures location="s3" objects={bucket.cold.objects} bytes={bucket.cold.bytes} />
      </td>
      <td data-label="Tiering" data-testid="bucket-rules">
        {bucket.has_lifecycle ? (
          <span className="status status-admin">Lifecycle rules</span>
        ) : (
          <span className="muted">Default policy</span>
        )}
      </td>
      <td data-label="Created">{formatDate(bucket.created_at)}</td>
      <td className="cell-actions">
        <Link className="button button-small" to={path} aria-label={`Edit the rules of ${bucket.name}`}>
          Rules
        </Link>
        <Link
          className="button button-small button-ghost"
          to={`/?bucket=${encodeURIComponent(bucket.name)}`}
          aria-label={`Files in ${bucket.name}`}
        >
          Files
        </Link>
      </td>
    </tr>
  );
}

/** The caller's buckets with what each holds per tier, and the lifecycle rules of the one selected. */
export function BucketsPage() {
  useDocumentTitle('Buckets');
  const uploadBucket = useDefaultBucket();
  const { name } = useParams();
  const buckets = useBuckets();
  const list = buckets.data ?? [];
  const unknown = name !== undefined && buckets.isSuccess && !list.some((b) => b.name === name);

  return (
    <>
      <h1 className="page-title">Buckets</h1>
      <p className="lead">
        Your buckets and what they hold in each tier. Files uploaded here go to <code>{uploadBucket}</code>; other buckets are made
        with an S3 client (e.g. <code>aws s3 mb</code>). Choose a bucket to set its lifecycle rules.
      </p>

      <section className="card" aria-labelledby="buckets-heading">
        <div className="section-head">
          <h2 id="buckets-heading">Your buckets</h2>
          <button
            type="button"
            className="button button-small"
            onClick={() => buckets.refetch()}
            disabled={buckets.isFetching}
          >
            {buckets.isFetching ? 'Refreshing…' : 'Refresh'}
          </button>
        </div>
        {buckets.isPending ? (
          <p role="status">Loading your buckets…</p>
        ) : buckets.isError ? (
          <div className="banner banner-error" role="alert">
            <p>Your buckets could not be loaded: {errorText(buckets.error)}</p>
            <button type="button" className="button button-small" onClick={() => buckets.refetch()}>
              Try again
            </button>
          </div>
        ) : list.length === 0 ? (
          <p className="empty-state">
            No buckets yet. Upload a file on the <Link to="/">Files</Link> page (it goes to the bucket <code>{uploadBucket}</code>),
            or create one with an S3 client.
          </p>
        ) : (
          <div className="table-wrap">
            <table className="data-table buckets-table">
              <thead>
                <tr>
                  <th scope="col">Bucket</th>
                  <th scope="col">Hot tier</th>
                  <th scope="col">Cold tier</th>
                  <th scope="col">Tiering</th>
                  <th scope="col">Created</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.map((bucket) => (
                  <BucketRow key={bucket.name} bucket={bucket} selected={bucket.name === name} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      {unknown ? (
        <p className="banner banner-warning" role="alert">
          You have no bucket named <code>{name}</code>. <Link to="/buckets">Back to your buckets</Link>.
        </p>
      ) : name !== undefined ? (
        <LifecycleEditor key={name} bucket={name} />
      ) : null}
    </>
  );
}
