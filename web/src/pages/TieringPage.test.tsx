import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { TieringRun } from '../api/types';
import { apiError, mockApi, renderApp, signIn } from '../test/utils';
import { TieringPage } from './TieringPage';

function run(overrides: Partial<TieringRun> = {}): TieringRun {
  return {
    id: 1,
    trigger: 'schedule',
    status: 'succeeded',
    dry_run: false,
    started_at: '2026-11-27T00:00:00Z',
    finished_at: '2026-11-27T00:00:12Z',
    duration_seconds: 12.4,
    candidates: 5,
    moved: 5,
    failed: 0,
    bytes_moved: 5 * 1024 * 1024,
    expired: 0,
    aborted: 0,
    error: null,
    ...overrides,
  };
}

const summary = {
  hot: { objects: 3, bytes: 3 * 1024 * 1024 },
  cold: { objects: 1200, bytes: 2 * 1024 ** 3 },
  last_run: run(),
  next_run_at: '2026-11-28T00:00:00Z',
  schedule: '0 0 * * *',
  timezone: 'UTC',
};

describe('TieringPage', () => {
  it("shows the user's hot and cold counts and bytes, last and next pass, and no admin tools", async () => {
    signIn({ isAdmin: false });
    const { calls } = mockApi({ 'GET /tiering/summary': { body: summary } });
    renderApp(<TieringPage />);
    expect(await screen.findByTestId('hot-objects')).toHaveTextContent('3 objects');
    expect(screen.getByText('3 MiB')).toBeInTheDocument();
    expect(screen.getByTestId('cold-objects')).toHaveTextContent('1,200 objects');
    expect(screen.getByText('2 GiB')).toBeInTheDocument();
    expect(screen.getByText('Last pass').nextElementSibling).toHaveTextContent('Succeeded');
    expect(screen.getByText('Next pass').nextElementSibling).not.toHaveTextContent('Not scheduled');
    expect(screen.getByText('0 0 * * *')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Run now' })).not.toBeInTheDocument();
    expect(calls.some((c) => c.path.startsWith('/tiering/runs'))).toBe(false);
  });

  it('says "1 object", not "1 objects"', async () => {
    signIn();
    mockApi({ 'GET /tiering/summary': { body: { ...summary, hot: { objects: 1, bytes: 10 }, cold: { objects: 1, bytes: 20 } } } });
    renderApp(<TieringPage />);
    expect(await screen.findByTestId('hot-objects')).toHaveTextContent(/^1 object$/);
    expect(screen.getByTestId('cold-objects')).toHaveTextContent(/^1 object$/);
  });

  it('tells a non-admin when and how a pass runs: the schedule in words, the next pass, the rules, the admins', async () => {
    signIn({ isAdmin: false });
    mockApi({ 'GET /tiering/summary': { body: { ...summary, schedule: '30 2 * * *', timezone: 'Europe/Berlin' } } });
    renderApp(<TieringPage />);
    const how = await screen.findByTestId('how-tiering');
    expect(how).toHaveTextContent('A pass runs every day at 02:30 (Europe/Berlin); the next one starts');
    expect(within(how).getByRole('time')).toHaveAttribute('datetime', '2026-11-28T00:00:00Z');
    expect(how).toHaveTextContent('decided by the lifecycle rules of your buckets');
    expect(within(how).getByRole('link', { name: 'Buckets' })).toHaveAttribute('href', '/buckets');
    expect(how).toHaveTextContent("Buckets without rules follow the server's default policy.");
    expect(how).toHaveTextContent('Administrators can also start a pass at any time');
  });

  it('says so when no further pass is scheduled', async () => {
    signIn();
    mockApi({ 'GET /tiering/summary': { body: { ...summary, next_run_at: null } } });
    renderApp(<TieringPage />);
    expect(await screen.findByTestId('how-tiering')).toHaveTextContent('no further pass is scheduled');
  });

  it('says so when the server has no tiering endpoints yet', async () => {
    signIn();
    mockApi({});
    renderApp(<TieringPage />);
    expect(await screen.findByRole('alert')).toHaveTextContent('this server has no tiering information yet');
  });

  it('shows admins the run history with failures listed', async () => {
    signIn({ isAdmin: true });
    mockApi({
      'GET /tiering/summary': { body: summary },
      'GET /tiering/runs': {
        body: {
          runs: [run({ id: 2, status: 'partial', trigger: 'manual', moved: 3, failed: 2, candidates: 5, bytes_moved: 3072 }), run()],
          total: 2,
        },
      },
      'GET /tiering/runs/2': {
        body: {
          ...run({ id: 2, status: 'partial', failed: 2 }),
          failures: [
            { object_id: 10, bucket: 'files', key: 'a.bin', reason: 'checksum mismatch', failed_at: '2026-11-27T00:00:03Z' },
            { object_id: 11, bucket: 'photos', key: 'b.jpg', reason: 'cold tier unavailable', failed_at: '2026-11-27T00:00:04Z' },
          ],
          rules: [
            { owner: 7, bucket: 'photos', rule_id: 'to-cold', matched: 4, moved: 3, move_failed: 1, bytes_moved: 3072, expired: 0, expire_failed: 0, bytes_expired: 0, aborted: 0, abort_failed: 0 },
            { owner: 7, bucket: 'files', rule_id: null, matched: 1, moved: 0, move_failed: 1, bytes_moved: 0, expired: 0, expire_failed: 0, bytes_expired: 0, aborted: 0, abort_failed: 0 },
          ],
        },
      },
    });
    renderApp(<TieringPage />);
    const table = await screen.findByRole('table');
    const rows = within(table).getAllByRole('row');
    expect(rows).toHaveLength(3);
    const partial = within(rows[1]!);
    expect(partial.getByText('Partial')).toBeInTheDocument();
    expect(partial.getByText('manual')).toBeInTheDocument();
    expect(partial.getByText('3 KiB')).toBeInTheDocument();
    expect(partial.getByText('12 s')).toBeInTheDocument();

    const toggle = partial.getByRole('button', { name: 'Details of run 2' });
    await userEvent.click(toggle);
    expect(toggle).toHaveAttribute('aria-expanded', 'true');
    expect(toggle).toHaveAccessibleName('Hide details of run 2');
    const list = await screen.findByRole('list', { name: 'Failures of run 2' });
    const ruleRows = within(screen.getByRole('table', { name: 'Rules in run 2' })).getAllByRole('row');
    expect(ruleRows).toHaveLength(3);
    expect(within(ruleRows[1]!).getByText('to-cold')).toBeInTheDocument();
    expect(ruleRows[1]).toHaveTextContent('photos (user 7)');
    expect(within(ruleRows[2]!).getByText('default policy')).toBeInTheDocument();
    expect(within(list).getAllByRole('listitem').map((li) => li.textContent)).toEqual([
      expect.stringContaining('files/a.bin — checksum mismatch'),
      expect.stringContaining('photos/b.jpg — cold tier unavailable'),
    ]);
  });

  it('starts a pass with "Run now" and follows it until it ends', async () => {
    signIn({ isAdmin: true });
    let polls = 0;
    let runs = [run()];
    const { calls } = mockApi({
      'GET /tiering/summary': { body: summary },
      'GET /tiering/runs': () => ({ body: { runs, total: runs.length } }),
      'POST /tiering/run': () => {
        runs = [run({ id: 9, status: 'running', finished_at: null, duration_seconds: null }), ...runs];
        return { status: 202, body: { run_id: 9 } };
      },
      'GET /tiering/runs/9': () => {
        polls += 1;
        const done = polls >= 2;
        if (done) runs = [run({ id: 9, trigger: 'manual', moved: 2, candidates: 2, bytes_moved: 2048 }), run()];
        return { body: { ...runs[0]!, status: done ? 'succeeded' : 'running', failures: [] } };
      },
    });
    renderApp(<TieringPage />);
    const button = await screen.findByRole('button', { name: 'Run now' });
    await userEvent.click(button);
    await waitFor(() => expect(screen.getByRole('button', { name: 'Running…' })).toBeDisabled());
    const result = await screen.findByTestId('run-result', {}, { timeout: 5000 });
    expect(result).toHaveTextContent('Pass 9 finished: Succeeded — moved 2, failed 0, 2 KiB.');
    expect(screen.getByRole('button', { name: 'Run now' })).toBeEnabled();
    expect(calls.filter((c) => c.method === 'POST').map((c) => c.path)).toEqual(['/tiering/run']);
    // The summary is asked again once the pass is over.
    await waitFor(() => expect(calls.filter((c) => c.path === '/tiering/summary').length).toBeGreaterThan(1));
  });

  it('shows a refusal to start a pass', async () => {
    signIn({ isAdmin: true });
    mockApi({
      'GET /tiering/summary': { body: summary },
      'GET /tiering/runs': { body: { runs: [], total: 0 } },
      'POST /tiering/run': apiError(409, 'conflict', 'a tiering pass is already running'),
    });
    renderApp(<TieringPage />);
    await userEvent.click(await screen.findByRole('button', { name: 'Run now' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Could not start a pass: a tiering pass is already running');
    expect(screen.getByText('No runs yet.')).toBeInTheDocument();
  });
});
