import { useEffect, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { ApiError } from '../api/client';
import { queryKeys, useStartTieringRun, useTieringRun, useTieringRuns, useTieringSummary } from '../api/queries';
import type { RuleResult, TieringRun } from '../api/types';
import { useSession } from '../auth/AuthContext';
import { formatBytes, formatCount, formatDate, formatDuration, plural } from '../lib/format';
import { describeSchedule } from '../lib/schedule';
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

function Summary({ isAdmin }: { isAdmin: boolean }) {
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
            {formatCount(s.hot.objects)} <span>{s.hot.objects === 1 ? 'object' : 'objects'}</span>
          </p>
          <p className="stat-bytes">{formatBytes(s.hot.bytes)}</p>
        </div>
        <div className="stat stat-cold">
          <h3>
            Cold tier <span className="badge badge-s3">S3</span>
          </h3>
          <p className="stat-number" data-testid="cold-objects">
            {formatCount(s.cold.objects)} <span>{s.cold.objects === 1 ? 'object' : 'objects'}</span>
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
      <div className="how-tiering" data-testid="how-tiering">
        <h3>When and how a pass runs</h3>
        <p>
          A pass runs {describeSchedule(s.schedule, s.timezone)}
          {s.next_run_at ? (
            <>
              ; the next one starts <time dateTime={s.next_run_at}>{formatDate(s.next_run_at)}</time> (your time).
            </>
          ) : (
            '; no further pass is scheduled.'
          )}
        </p>
        <p>
          What it moves to the cold tier, and what it deletes, is decided by the lifecycle rules of your buckets, set on
          the <Link to="/buckets">Buckets</Link> page. Buckets without rules follow the server's default policy.
        </p>
        <p>
          {isAdmin
            ? 'As an administrator you can also start a pass at any time with “Run now” below.'
            : 'Administrators can also start a pass at any time; ask one if you need it sooner.'}
        </p>
      </div>
    </>
  );
}

function ruleLabel(result: RuleResult) {
  return result.rule_id === null ? <em>default policy</em> : <code className="break">{result.rule_id}</code>;
}

/** What each lifecycle rule (or the default policy) did in a pass. */
function RuleResults({ runId, rules }: { runId: number; rules: RuleResult[] }) {
  if (rules.length === 0) return <p className="muted">No rule matched anything in this pass.</p>;
  return (
    <div className="table-wrap">
      <table className="data-table rule-results" aria-label={`Rules in run ${runId}`}>
        <thead>
          <tr>
            <th scope="col">Bucket</th>
            <th scope="col">Rule</th>
            <th scope="col">Matched</th>
            <th scope="col">Moved</th>
            <th scope="col">Expired</th>
            <th scope="col">Aborted uploads</th>
            <th scope="col">Failed</th>
          </tr>
        </thead>
        <tbody>
          {rules.map((r, i) => (
            <tr key={`${r.owner}-${r.bucket}-${r.rule_id}-${i}`}>
              <td data-label="Bucket">
                {r.bucket ?? <span className="muted">all buckets</span>}
                {r.owner !== null && <span className="muted"> (user {r.owner})</span>}
              </td>
              <td data-label="Rule">{ruleLabel(r)}</td>
              <td data-label="Matched" className="cell-num">
                {formatCount(r.matched)}
              </td>
              <td data-label="Moved" className="cell-num">
                {formatCount(r.moved)} <span className="muted">({formatBytes(r.bytes_moved)})</span>
              </td>
              <td data-label="Expired" className="cell-num">
                {formatCount(r.expired)} <span className="muted">({formatBytes(r.bytes_expired)})</span>
              </td>
              <td data-label="Aborted uploads" className="cell-num">
                {formatCount(r.aborted)}
              </td>
              <td data-label="Failed" className="cell-num">
                {formatCount(r.move_failed + r.expire_failed + r.abort_failed)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function RunDetails({ runId }: { runId: number }) {
  const run = useTieringRun(runId);
  if (run.isPending) return <p role="status">Loading the run…</p>;
  if (run.isError)
    return (
      <p className="banner banner-error" role="alert">
        Could not load this run: {errorText(run.error)}
      </p>
    );
  const { failures, error, rules } = run.data;
  return (
    <div className="failures">
      {error && <p className="banner banner-error">Run error: {error}</p>}
      {rules && <RuleResults runId={runId} rules={rules} />}
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
            {formatCount(watched.data.failed)}, {formatBytes(watched.data.bytes_moved)}
            {watched.data.expired > 0 && <>; expired {formatCount(watched.data.expired)}</>}
            {watched.data.aborted > 0 && <>; aborted {plural(watched.data.aborted, 'upload')}</>}.
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
                  <th scope="col">Expired</th>
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
        <td data-label="Expired" className="cell-num">
          {formatCount(run.expired)}
          {run.aborted > 0 && <span className="muted"> (+{plural(run.aborted, 'upload')} aborted)</span>}
        </td>
        <td data-label="Bytes" className="cell-num">
          {formatBytes(run.bytes_moved)}
        </td>
        <td data-label="Duration" className="cell-num">
          {run.status === 'running' ? 'running' : formatDuration(run.duration_seconds)}
        </td>
        <td className="cell-actions">
          <button
            type="button"
            className="button button-small"
            aria-expanded={open}
            aria-controls={detailsId}
            onClick={onToggle}
            aria-label={`${open ? 'Hide details' : 'Details'} of run ${run.id}`}
          >
            {open ? 'Hide details' : 'Details'}
          </button>
        </td>
      </tr>
      {open && (
        <tr id={detailsId} className="details-row">
          <td colSpan={9}>
            <RunDetails runId={run.id} />
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
        New files land in the hot tier (MinIO). A scheduled pass moves them to the cold tier (S3) as your buckets' rules
        say; downloads keep working the same way.
      </p>
      <section className="card" aria-labelledby="summary-heading">
        <h2 id="summary-heading">Your storage</h2>
        <Summary isAdmin={session.isAdmin} />
      </section>
      {session.isAdmin && <AdminRuns />}
    </>
  );
}
