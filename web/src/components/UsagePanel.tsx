import { useUsage } from '../api/queries';
import { formatBytes, formatCount } from '../lib/format';
import { UsageBar } from './UsageBar';

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : 'Something went wrong.';
}

/** The signed-in user's storage against their quota; refreshed with the file list. */
export function UsagePanel() {
  const query = useUsage();
  const { data } = query;
  return (
    <section className="card usage-card" aria-labelledby="usage-heading">
      <h2 id="usage-heading">Storage used</h2>
      {query.isPending ? (
        <p className="muted" role="status">
          Loading your usage…
        </p>
      ) : !data ? (
        <p className="muted">Your usage could not be loaded: {errorText(query.error)}</p>
      ) : (
        <div className="usage-grid">
          <UsageBar
            label="Storage"
            hot={data.usage.hot_bytes}
            cold={data.usage.cold_bytes}
            limit={data.quota.bytes}
            format={formatBytes}
            testId="usage-bytes"
          />
          {data.quota.objects !== null && (
            <UsageBar
              label="Objects"
              hot={data.usage.hot_objects}
              cold={data.usage.cold_objects}
              limit={data.quota.objects}
              format={formatCount}
              noun={['object', 'objects']}
              testId="usage-objects"
            />
          )}
        </div>
      )}
    </section>
  );
}
