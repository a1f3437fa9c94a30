import { useEffect, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { ApiError } from '../api/client';
import { queryKeys, useStartTieringRun, useTieringRun, useTieringRuns, useTieringSummary } from '../api/queries';
import type { TieringRun } from '../api/types';
import { useSession } from '../auth/AuthContext';
import { formatBytes, formatCount, formatDate, formatDuration } from '../lib/format';
import { useDocumentTitle } from '../lib/useDocumentTitle';

const RUNS_PER_PAGE = 20;

function errorText(err: unknown): string {
  if (err instanceof ApiError && err.status === 404) return 'this server has no tiering information yet';
  return err instanceof Error ? err.message : 'Something went wrong.';
}

function RunStatus({ status }: { status: TieringRun['status'] }) {
  const labels: Record<string, string> = { running: 'Running', succeeded: 'Succeeded', partial: 'Partial', failed: 'Failed' };
  return <span className={`status status-${status}`}>{labels[status] ?? status}</span>;
}

function Summary() {
  const summary = useTieringSummary();
  if (summary.isPending) return <p role="status">Loading tiering summary…</p>;
  if (summary.isError)
    return (
      <p className="banner banner-error" role="alert">
        Could not load the tiering summary: {errorText(summary.error)}.
      </p>
    );
  const s = summary.data;
  return (
    <>
      <div className="stats">
        <div className="stat stat-hot">
          <h3>
            Hot tier <span className="badge badge-minio">MinIO</span>
          </h3>
          <p className="stat-number" data-testid="hot-objects">
            {formatCount(s.hot.objects)} <span>objects</span>
          </p>
          <p className="stat-bytes">{formatBytes(s.hot.bytes)}</p>
        </div>
        <div className="stat stat-cold">
          <h3>
            Cold tier <span className="badge badge-s3">S3</span>
          </h3>
          <p className="stat-number" data-testid="cold-objects">
            {formatCount(s.cold.objects)} <span>objects</span>
          </p>
          <p className="stat-bytes">{formatBytes(s.cold.bytes)}</p>
        </div>
      </div>
      <dl className="facts">
        <div>
          <dt>Last pass</dt>
          <dd>
            {s.last_run ? (
              <>
                {formatDate(s.last_run.started_at)} <RunStatus status={s.last_run.status} />
              </>
            ) : (
              'None yet'
            )}
          </dd>
        </div>
        <div>
          <dt>Next pass</dt>
          <dd>{s.next_run_at ? formatDate(s.next_run_at) : 'Not scheduled'}</dd>
        </div>
        <div>
          <dt>Schedule</dt>
          <dd>
            <code>{s.schedule}</code> ({s.timezone})
          </dd>
        </div>
      </dl>
    </>
  );
}

function RunFailures({ runId }: { runId: number }) {
  const run = useTieringRun(runId);
  if (run.isPending) return <p role="status">Loading failures…</p>;
  if (run.isError)
    return (
      <p className="banner banner-error" role="alert">
        Could not load this run: {errorText(run.error)}
      </p>
    );
  const { failures, error } = run.data;
  return (
    <div className="failures">
      {error && <p className="banner banner-error">Run error: {error}</p>}
      {failures.length === 0 ? (
        <p className="muted">No failed objects.</p>
      ) : (
        <ul aria-label={`Failures of run ${runId}`}>
          {failures.map((f) => (
            <li key={`${f.object_id}-${f.failed_at}`}>
              <code className="break">
                {f.bucket}/{f.key}
              </code>{' '}
              — {f.reason} <span className="muted">({formatDate(f.failed_at)})</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function AdminRuns() {
  const queryClient = useQueryClient();
  const [offset, setOffset] = useState(0);
  const [openRun, setOpenRun] = useState<number | null>(null);
  const [watchedRun, setWatchedRun] = useState<number | null>(null);
  const runs = useTieringRuns(RUNS_PER_PAGE, offset, true);
  const start = useStartTieringRun();
  const watched = useTieringRun(watchedRun);

  const watchedStatus = watched.data?.status;
  const running = start.isPending || (watchedRun !== null && (watchedStatus === undefined || watchedStatus === 'running'));

  // When the watched run finishes, the counts, runs and file badges change: refresh them once.
  useEffect(() => {
    if (watchedRun === null || !watchedStatus || watchedStatus === 'running') return;
    void queryClient.invalidateQueries({ queryKey: ['tiering'] });
    void queryClient.invalidateQueries({ queryKey: queryKeys.files });
  }, [watchedRun, watchedStatus, queryClient]);

  function runNow() {
    start.mutate(undefined, {
      onSuccess: ({ run_id }) => {
        setWatchedRun(run_id);
        void queryClient.invalidateQueries({ queryKey: ['tiering', 'runs'] });
      },
    });
  }

  const total = runs.data?.total ?? 0;
  return (
    <section className="card" aria-labelledby="runs-heading">
      <div className="section-head">
        <h2 id="runs-heading">Tiering runs</h2>
        <button type="button" className="button button-primary" onClick={runNow} disabled={running}>
          {running ? 'Running…' : 'Run now'}
        </button>
      </div>
      <div aria-live="polite">
        {start.isError && (
          <p className="banner banner-error" role="alert">
            Could not start a pass: {errorText(start.error)}
          </p>
        )}
        {watchedRun !== null && watched.data && watched.data.status !== 'running' && (
          <p className="banner banner-success" data-testid="run-result">
            Pass {watchedRun} finished: <RunStatus status={watched.data.status} /> — moved {formatCount(watched.data.moved)}, failed{' '}
            {formatCount(watched.data.failed)}, {formatBytes(watched.data.bytes_moved)}.
          </p>
        )}
        {watchedRun !== null && watched.isError && (
          <p className="banner banner-error" role="alert">
            Could not follow pass {watchedRun}: {errorText(watched.error)}
          </p>
        )}
      </div>
      {runs.isPending ? (
        <p role="status">Loading runs…</p>
      ) : runs.isError ? (
        <p className="banner banner-error" role="alert">
          Could not load runs: {errorText(runs.error)}
        </p>
      ) : runs.data.runs.length === 0 ? (
        <p className="empty-state">No runs yet.</p>
      ) : (
        <>
          <div className="table-wrap">
            <table className="data-table runs-table">
              <thead>
                <tr>
                  <th scope="col">Started</th>
                  <th scope="col">Trigger</th>
                  <th scope="col">Status</th>
                  <th scope="col">Moved</th>
                  <th scope="col">Failed</th>
                  <th scope="col">Bytes</th>
                  <th scope="col">Duration</th>
                  <th scope="col">
                    <span className="visually-hidden">Details</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {runs.data.runs.map((run) => (
                  <RunRow key={run.id} run={run} open={openRun === run.id} onToggle={() => setOpenRun(openRun === run.id ? null : run.id)} />
                ))}
              </tbody>
            </table>
          </div>
          <nav className="pagination" aria-label="Pages of runs">
            <p className="muted">
              {formatCount(offset + 1)}–{formatCount(Math.min(offset + RUNS_PER_PAGE, total))} of {formatCount(total)}
            </p>
            <div className="pagination-controls">
              <button
                type="button"
                className="button button-small"
                onClick={() => setOffset(Math.max(0, offset - RUNS_PER_PAGE))}
                disabled={offset === 0}
              >
                Newer
              </button>
              <button
                type="button"
                className="button button-small"
                onClick={() => setOffset(offset + RUNS_PER_PAGE)}
                disabled={offset + RUNS_PER_PAGE >= total}
              >
                Older
              </button>
            </div>
          </nav>
        </>
      )}
    </section>
  );
}

function RunRow({ run, open, onToggle }: { run: TieringRun; open: boolean; onToggle: () => void }) {
  const detailsId = `run-${run.id}-details`;
  return (
    <>
      <tr data-run-id={run.id}>
        <td data-label="Started">
          {formatDate(run.started_at)}
          {run.dry_run && <span className="tag">dry run</span>}
        </td>
        <td data-label="Trigger">{run.trigger}</td>
        <td data-label="Status">
          <RunStatus status={run.status} />
        </td>
        <td data-label="Moved" className="cell-num">
          {formatCount(run.moved)}
          <span className="muted"> / {formatCount(run.candidates)}</span>
        </td>
        <td data-label="Failed" className="cell-num">
          {formatCount(run.failed)}
        </td>
        <td data-label="Bytes" className="cell-num">
          {formatBytes(run.bytes_moved)}
        </td>
        <td data-label="Duration" className="cell-num">
          {run.status === 'running' ? 'running' : formatDuration(run.duration_seconds)}
        </td>
        <td className="cell-actions">
          {(run.failed > 0 || run.error) && (
            <button type="button" className="button button-small" aria-expanded={open} aria-controls={detailsId} onClick={onToggle}>
              {open ? 'Hide failures' : 'Show failures'}
            </button>
          )}
        </td>
      </tr>
      {open && (
        <tr id={detailsId} className="details-row">
          <td colSpan={8}>
            <RunFailures runId={run.id} />
          </td>
        </tr>
      )}
    </>
  );
}

export function TieringPage() {
  useDocumentTitle('Tiering');
  const session = useSession();
  return (
    <>
      <h1 className="page-title">Tiering</h1>
      <p className="lead">
        New files land in the hot tier (MinIO). A scheduled pass moves them to the cold tier (S3); downloads keep working
        the same way.
      </p>
      <section className="card" aria-labelledby="summary-heading">
        <h2 id="summary-heading">Your storage</h2>
        <Summary />
      </section>
      {session.isAdmin && <AdminRuns />}
    </>
  );
}
