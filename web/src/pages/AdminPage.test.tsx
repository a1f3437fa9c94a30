import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AdminUser, Invite } from '../api/types';
import { apiError, mockApi, renderApp, signIn, type RecordedCall } from '../test/utils';
import { AdminPage } from './AdminPage';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
const TiB = 1024 ** 4;

function user(overrides: Partial<AdminUser> = {}): AdminUser {
  return {
    id: 2,
    email: 'bob@example.com',
    created_at: '2026-11-01T10:00:00Z',
    disabled: false,
    disabled_at: null,
    is_admin: false,
    admin_source: null,
    last_login_at: '2026-11-20T08:30:00Z',
    usage: { bytes: 4 * MiB, objects: 8, hot_bytes: MiB, hot_objects: 2, cold_bytes: 3 * MiB, cold_objects: 6 },
    quota: { bytes: 8 * MiB, objects: null, custom: true },
    ...overrides,
  };
}

// The signed-in admin (USER in test/utils has id 7).
const me = user({
  id: 7,
  email: 'ada@example.com',
  is_admin: true,
  admin_source: 'settings',
  usage: { bytes: 0, objects: 0, hot_bytes: 0, hot_objects: 0, cold_bytes: 0, cold_objects: 0 },
  quota: { bytes: null, objects: null, custom: false },
});
const bob = user();

function invite(overrides: Partial<Invite> = {}): Invite {
  return {
    id: 1,
    email: null,
    created_by: 7,
    created_at: '2026-11-20T10:00:00Z',
    expires_at: '2026-11-27T10:00:00Z',
    used_at: null,
    used_by: null,
    status: 'unused',
    ...overrides,
  };
}

/** A server with a list of users that the admin actions change. */
function adminApi(initial: AdminUser[] = [me, bob], invites: Invite[] = []) {
  let users = [...initial];
  const find = (call: RecordedCall) => Number(call.path.split('/')[3]);
  const answerFor = (id: number, change: Partial<AdminUser>) => {
    users = users.map((u) => (u.id === id ? { ...u, ...change } : u));
    return { body: users.find((u) => u.id === id) };
  };
  const api = mockApi({
    'GET /admin/users': () => ({ body: { users, next_after: null } }),
    'GET /admin/invites': () => ({ body: { invites } }),
    'PUT /admin/users/2/quota': (call) => {
      const body = call.body as { bytes: number | null; objects: number | null };
      return answerFor(2, { quota: { bytes: body.bytes, objects: body.objects, custom: true } });
    },
    'DELETE /admin/users/2/quota': () => answerFor(2, { quota: { bytes: 50 * GiB, objects: null, custom: false } }),
    'POST /admin/users/2/disable': (call) => answerFor(find(call), { disabled: true, disabled_at: '2026-11-28T00:00:00Z' }),
    'POST /admin/users/2/enable': (call) => answerFor(find(call), { disabled: false, disabled_at: null }),
    'POST /admin/users/7/disable': apiError(409, 'not_yourself', 'an admin cannot disable themselves'),
    'PUT /admin/users/2/admin': (call) => {
      const admin = (call.body as { admin: boolean }).admin;
      return answerFor(2, { is_admin: admin, admin_source: admin ? 'granted' : null });
    },
    'DELETE /admin/users/2': () => {
      users = users.filter((u) => u.id !== 2);
      return { status: 204 };
    },
  });
  return api;
}

function rowOf(email: string) {
  const row = screen.getAllByRole('row').find((r) => within(r).queryByText(email, { exact: true }));
  if (!row) throw new Error(`no row for ${email}`);
  return within(row);
}

function renderAdmin() {
  return renderApp(<AdminPage />, { route: '/admin', path: '/admin' });
}

beforeEach(() => {
  signIn({ isAdmin: true });
});

describe('AdminPage', () => {
  it('lists users with badges, dates, usage by tier against their quota, objects and quota', async () => {
    const { calls } = adminApi([me, bob, user({ id: 3, email: 'eve@example.com', disabled: true, disabled_at: '2026-11-25T00:00:00Z', last_login_at: null, is_admin: true, admin_source: 'granted', quota: { bytes: null, objects: 100, custom: false } })]);
    renderAdmin();
    await screen.findByText('bob@example.com');
    expect(document.title).toBe('Admin · Tiergate');
    expect(calls[0]?.path).toBe('/admin/users?after=0&limit=100');
    expect(calls[0]?.headers.Authorization).toBe('Bearer token-123');

    const ada = rowOf('ada@example.com');
    expect(ada.getByText('you')).toBeInTheDocument();
    expect(ada.getByText('admin')).toHaveAttribute('title', "Named in the server's settings");
    expect(ada.getByText('0 B used, no quota')).toBeInTheDocument();
    expect(ada.getByText('No limit')).toBeInTheDocument();
    expect(ada.getByText('default')).toBeInTheDocument();
    // Admin rights from the settings cannot be changed here.
    expect(ada.queryByRole('button', { name: /admin/ })).not.toBeInTheDocument();

    const b = rowOf('bob@example.com');
    expect(b.queryByText('admin')).not.toBeInTheDocument();
    expect(b.getByText('4 MiB of 8 MiB used')).toBeInTheDocument();
    expect(b.getByRole('img')).toHaveAccessibleName(
      'Storage of bob@example.com: 4 MiB of 8 MiB used (50%); 1 MiB in the hot tier (MinIO), 3 MiB in the cold tier (S3)',
    );
    expect(b.getByText('8 MiB')).toBeInTheDocument();
    expect(b.queryByText('default')).not.toBeInTheDocument();
    expect(b.getAllByRole('time').map((t) => t.getAttribute('datetime'))).toEqual(['2026-11-01T10:00:00Z', '2026-11-20T08:30:00Z']);
    expect(b.getByRole('button', { name: 'Grant admin to bob@example.com' })).toBeInTheDocument();
    expect(b.getByRole('button', { name: 'Disable bob@example.com' })).toBeInTheDocument();

    const eve = rowOf('eve@example.com');
    expect(eve.getByText('disabled')).toHaveClass('status-disabled');
    expect(eve.getByText('admin')).toHaveAttribute('title', 'Made an admin here');
    expect(eve.getByText('Never')).toBeInTheDocument();
    expect(eve.getByText('100 objects')).toBeInTheDocument();
    expect(eve.getByText('/ 100', { exact: false })).toBeInTheDocument();
    expect(eve.getByRole('button', { name: 'Enable eve@example.com' })).toBeInTheDocument();
    expect(eve.getByRole('button', { name: 'Revoke admin from eve@example.com' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'More' })).not.toBeInTheDocument();
  });

  it('pages through users with "More"', async () => {
    const { calls } = mockApi({
      'GET /admin/users': (call) =>
        call.path.includes('after=0')
          ? { body: { users: [me, bob], next_after: 2 } }
          : { body: { users: [user({ id: 3, email: 'eve@example.com' })], next_after: null } },
      'GET /admin/invites': { body: { invites: [] } },
    });
    renderAdmin();
    await screen.findByText('bob@example.com');
    await userEvent.click(screen.getByRole('button', { name: 'More' }));
    expect(await screen.findByText('eve@example.com')).toBeInTheDocument();
    expect(screen.getByText('bob@example.com')).toBeInTheDocument();
    expect(calls.filter((c) => c.path.startsWith('/admin/users')).map((c) => c.path)).toEqual([
      '/admin/users?after=0&limit=100',
      '/admin/users?after=2&limit=100',
    ]);
    expect(screen.queryByRole('button', { name: 'More' })).not.toBeInTheDocument();
  });

  it('tells a non-admin that only administrators can open the page', async () => {
    signIn({ isAdmin: false });
    const { calls } = mockApi({
      'GET /admin/users': apiError(403, 'forbidden', 'only administrators may do this'),
      'GET /admin/invites': apiError(403, 'forbidden', 'only administrators may do this'),
    });
    renderAdmin();
    expect(await screen.findByRole('alert')).toHaveTextContent('Only administrators can open this page.');
    expect(screen.queryByRole('table')).not.toBeInTheDocument();
    expect(screen.queryByRole('heading', { name: 'Invites' })).not.toBeInTheDocument();
    expect(calls.map((c) => c.path)).toEqual(['/admin/users?after=0&limit=100']);
    // Still signed in: a 403 forbidden is not a logout.
    expect(screen.getByTestId('location')).toHaveTextContent('/admin');
  });

  describe('quota editor', () => {
    it('checks the numbers before sending anything', async () => {
      const { calls } = adminApi();
      renderAdmin();
      await userEvent.click(await screen.findByRole('button', { name: 'Edit quota of bob@example.com' }));
      const dialog = within(screen.getByRole('dialog', { name: 'Quota for bob@example.com' }));
      const storage = dialog.getByLabelText('Storage limit');
      // Prefilled from the current quota, in the largest whole unit; focus starts there.
      expect(storage).toHaveValue('8');
      expect(dialog.getByLabelText('Unit')).toHaveValue('MiB');
      expect(dialog.getByLabelText('Object limit')).toHaveValue('');
      expect(storage).toHaveFocus();

      await userEvent.clear(storage);
      await userEvent.type(storage, '-1');
      await userEvent.type(dialog.getByLabelText('Object limit'), '2.5');
      await userEvent.click(dialog.getByRole('button', { name: 'Save' }));
      expect(storage).toHaveAttribute('aria-invalid', 'true');
      expect(storage).toHaveAccessibleDescription(/Enter a whole number of 0 or more, or leave it empty for no limit\.$/);
      expect(dialog.getByLabelText('Object limit')).toHaveAttribute('aria-invalid', 'true');

      await userEvent.clear(storage);
      await userEvent.type(storage, '9000');
      await userEvent.selectOptions(dialog.getByLabelText('Unit'), 'TiB');
      await userEvent.clear(dialog.getByLabelText('Object limit'));
      await userEvent.click(dialog.getByRole('button', { name: 'Save' }));
      expect(storage).toHaveAccessibleDescription(/That is more than the server can store as a limit\.$/);
      expect(calls.some((c) => c.method === 'PUT')).toBe(false);
    });

    it('saves bytes in the chosen unit and objects, empty meaning no limit, and shows the answer', async () => {
      const { calls } = adminApi();
      renderAdmin();
      await userEvent.click(await screen.findByRole('button', { name: 'Edit quota of bob@example.com' }));
      const dialog = within(screen.getByRole('dialog'));
      await userEvent.clear(dialog.getByLabelText('Storage limit'));
      await userEvent.type(dialog.getByLabelText('Storage limit'), '5');
      await userEvent.selectOptions(dialog.getByLabelText('Unit'), 'GiB');
      await userEvent.type(dialog.getByLabelText('Object limit'), '1000');
      await userEvent.click(dialog.getByRole('button', { name: 'Save' }));
      await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
      expect(calls.find((c) => c.method === 'PUT')).toMatchObject({
        path: '/admin/users/2/quota',
        body: { bytes: 5 * GiB, objects: 1000 },
      });
      const b = rowOf('bob@example.com');
      expect(b.getByText('5 GiB, 1,000 objects')).toBeInTheDocument();
      expect(b.getByText('4 MiB of 5 GiB used')).toBeInTheDocument();

      // Both empty: no limit at all.
      await userEvent.click(screen.getByRole('button', { name: 'Edit quota of bob@example.com' }));
      const again = within(screen.getByRole('dialog'));
      expect(again.getByLabelText('Storage limit')).toHaveValue('5');
      expect(again.getByLabelText('Unit')).toHaveValue('GiB');
      await userEvent.clear(again.getByLabelText('Storage limit'));
      await userEvent.clear(again.getByLabelText('Object limit'));
      await userEvent.click(again.getByRole('button', { name: 'Save' }));
      await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
      expect(calls.filter((c) => c.method === 'PUT').at(-1)?.body).toEqual({ bytes: null, objects: null });
      expect(rowOf('bob@example.com').getByText('4 MiB used, no quota')).toBeInTheDocument();
    });

    it('goes back to the default quota with "Use default", and closes with Escape', async () => {
      const { calls } = adminApi([me, user({ quota: { bytes: TiB, objects: null, custom: true } })]);
      renderAdmin();
      await userEvent.click(await screen.findByRole('button', { name: 'Edit quota of bob@example.com' }));
      expect(screen.getByLabelText('Storage limit')).toHaveValue('1');
      expect(screen.getByLabelText('Unit')).toHaveValue('TiB');
      await userEvent.keyboard('{Escape}');
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument();

      await userEvent.click(screen.getByRole('button', { name: 'Edit quota of bob@example.com' }));
      await userEvent.click(screen.getByRole('button', { name: 'Use default' }));
      await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
      expect(calls.filter((c) => c.method === 'DELETE').map((c) => c.path)).toEqual(['/admin/users/2/quota']);
      const b = rowOf('bob@example.com');
      expect(b.getByText('50 GiB')).toBeInTheDocument();
      expect(b.getByText('default')).toBeInTheDocument();

      // Already the default: nothing to go back to.
      await userEvent.click(screen.getByRole('button', { name: 'Edit quota of bob@example.com' }));
      expect(screen.getByRole('button', { name: 'Use default' })).toBeDisabled();
    });

    it("shows the server's refusal in the dialog", async () => {
      mockApi({
        'GET /admin/users': { body: { users: [me, bob], next_after: null } },
        'GET /admin/invites': { body: { invites: [] } },
        'PUT /admin/users/2/quota': apiError(422, 'validation_error', 'is too large', 'bytes'),
      });
      renderAdmin();
      await userEvent.click(await screen.findByRole('button', { name: 'Edit quota of bob@example.com' }));
      await userEvent.click(screen.getByRole('button', { name: 'Save' }));
      expect(await screen.findByText('is too large')).toBeInTheDocument();
      expect(screen.getByLabelText('Storage limit')).toHaveAttribute('aria-invalid', 'true');
      expect(screen.getByRole('dialog')).toBeInTheDocument();
    });
  });

  it('disables after confirmation, then enables at once', async () => {
    const { calls } = adminApi();
    renderAdmin();
    await userEvent.click(await screen.findByRole('button', { name: 'Disable bob@example.com' }));
    const dialog = screen.getByRole('alertdialog', { name: 'Disable this account?' });
    expect(dialog).toHaveTextContent('bob@example.com will be logged out everywhere');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(calls.some((c) => c.method === 'POST')).toBe(false);

    await userEvent.click(screen.getByRole('button', { name: 'Disable bob@example.com' }));
    await userEvent.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Disable' }));
    await waitFor(() => expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument());
    const b = rowOf('bob@example.com');
    expect(b.getByText('disabled')).toBeInTheDocument();

    await userEvent.click(b.getByRole('button', { name: 'Enable bob@example.com' }));
    await waitFor(() => expect(rowOf('bob@example.com').queryByText('disabled')).not.toBeInTheDocument());
    expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument();
    expect(calls.filter((c) => c.method === 'POST').map((c) => c.path)).toEqual([
      '/admin/users/2/disable',
      '/admin/users/2/enable',
    ]);
    expect(rowOf('bob@example.com').getByRole('button', { name: 'Disable bob@example.com' })).toBeInTheDocument();
  });

  it("shows the server's 409 not_yourself when an admin tries to disable themselves", async () => {
    adminApi();
    renderAdmin();
    await userEvent.click(await screen.findByRole('button', { name: 'Disable ada@example.com' }));
    const dialog = screen.getByRole('alertdialog', { name: 'Disable this account?' });
    await userEvent.click(within(dialog).getByRole('button', { name: 'Disable' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('an admin cannot disable themselves');
    expect(rowOf('ada@example.com').queryByText('disabled')).not.toBeInTheDocument();
  });

  it('shows a refused enable in a banner', async () => {
    mockApi({
      'GET /admin/users': { body: { users: [me, user({ disabled: true })], next_after: null } },
      'GET /admin/invites': { body: { invites: [] } },
      'POST /admin/users/2/enable': apiError(404, 'not_found', 'user not found'),
    });
    renderAdmin();
    await userEvent.click(await screen.findByRole('button', { name: 'Enable bob@example.com' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Could not enable bob@example.com: user not found');
  });

  it('deletes a user after confirmation', async () => {
    const { calls } = adminApi();
    renderAdmin();
    await userEvent.click(await screen.findByRole('button', { name: 'Delete bob@example.com' }));
    const dialog = screen.getByRole('alertdialog', { name: 'Delete this user?' });
    expect(dialog).toHaveTextContent('bob@example.com will be deleted with their keys and all their files (8 objects, 4 MiB)');
    expect(within(dialog).getByRole('button', { name: 'Cancel' })).toHaveFocus();
    await userEvent.keyboard('{Escape}');
    expect(calls.some((c) => c.method === 'DELETE')).toBe(false);

    await userEvent.click(screen.getByRole('button', { name: 'Delete bob@example.com' }));
    await userEvent.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Delete' }));
    await waitFor(() => expect(screen.queryByText('bob@example.com')).not.toBeInTheDocument());
    expect(calls.filter((c) => c.method === 'DELETE').map((c) => c.path)).toEqual(['/admin/users/2']);
    expect(screen.getByText('ada@example.com')).toBeInTheDocument();
  });

  it('grants and revokes admin rights', async () => {
    const { calls } = adminApi();
    renderAdmin();
    await userEvent.click(await screen.findByRole('button', { name: 'Grant admin to bob@example.com' }));
    expect(await rowOf('bob@example.com').findByText('admin')).toBeInTheDocument();
    await userEvent.click(rowOf('bob@example.com').getByRole('button', { name: 'Revoke admin from bob@example.com' }));
    await waitFor(() => expect(rowOf('bob@example.com').queryByText('admin')).not.toBeInTheDocument());
    expect(calls.filter((c) => c.method === 'PUT').map((c) => [c.path, c.body])).toEqual([
      ['/admin/users/2/admin', { admin: true }],
      ['/admin/users/2/admin', { admin: false }],
    ]);
  });

  describe('invites', () => {
    const signupUrl = 'http://127.0.0.1:8080/signup?invite=tg_inv_SECRET123';

    it('lists invites with their status, and withdraws an unused one', async () => {
      let invites = [
        invite({ id: 3, email: 'new@example.com' }),
        invite({ id: 2, status: 'used', used_at: '2026-11-21T09:00:00Z', used_by: 9 }),
        invite({ id: 1, status: 'expired' }),
      ];
      const { calls } = mockApi({
        'GET /admin/users': { body: { users: [me], next_after: null } },
        'GET /admin/invites': () => ({ body: { invites } }),
        'DELETE /admin/invites/3': () => {
          invites = invites.filter((i) => i.id !== 3);
          return { status: 204 };
        },
      });
      renderAdmin();
      const rows = await waitFor(() => {
        const found = document.querySelectorAll('.invites-table tbody tr');
        expect(found).toHaveLength(3);
        return Array.from(found) as HTMLElement[];
      });
      expect(within(rows[0]!).getByText('new@example.com')).toBeInTheDocument();
      expect(within(rows[0]!).getByText('Unused')).toHaveClass('status-unused');
      expect(within(rows[1]!).getByText('Anyone')).toBeInTheDocument();
      expect(within(rows[1]!).getByText('Used')).toBeInTheDocument();
      expect(within(rows[2]!).getByText('Expired')).toHaveClass('status-expired');
      expect(within(rows[1]!).queryByRole('button', { name: /Withdraw/ })).not.toBeInTheDocument();
      expect(within(rows[2]!).queryByRole('button', { name: /Withdraw/ })).not.toBeInTheDocument();

      await userEvent.click(within(rows[0]!).getByRole('button', { name: 'Withdraw the invite for new@example.com' }));
      await waitFor(() => expect(screen.queryByText('new@example.com')).not.toBeInTheDocument());
      expect(calls.filter((c) => c.method === 'DELETE').map((c) => c.path)).toEqual(['/admin/invites/3']);
    });

    it('checks the form, creates an invite and shows its sign-up link once', async () => {
      let invites: Invite[] = [];
      const { calls } = mockApi({
        'GET /admin/users': { body: { users: [me], next_after: null } },
        'GET /admin/invites': () => ({ body: { invites } }),
        'POST /admin/invites': (call) => {
          const created = invite({ id: 4, email: (call.body as { email?: string }).email ?? null });
          invites = [created];
          return { status: 201, body: { ...created, token: 'tg_inv_SECRET123', signup_url: signupUrl } };
        },
      });
      renderAdmin();
      expect(await screen.findByText('No invites yet.')).toBeInTheDocument();
      const form = within(screen.getByRole('form', { name: 'New invite' }));
      expect(form.getByLabelText('Expires in (days)')).toHaveValue('7');

      await userEvent.type(form.getByLabelText('E-mail (optional)'), 'not-an-address');
      await userEvent.clear(form.getByLabelText('Expires in (days)'));
      await userEvent.type(form.getByLabelText('Expires in (days)'), '0');
      await userEvent.click(form.getByRole('button', { name: 'Create invite' }));
      expect(form.getByLabelText('E-mail (optional)')).toHaveAccessibleDescription('Enter an e-mail address like name@example.com.');
      expect(form.getByLabelText('Expires in (days)')).toHaveAccessibleDescription('Enter a whole number of days from 1 to 365.');
      expect(calls.some((c) => c.method === 'POST')).toBe(false);

      await userEvent.clear(form.getByLabelText('E-mail (optional)'));
      await userEvent.type(form.getByLabelText('E-mail (optional)'), ' new@example.com ');
      await userEvent.clear(form.getByLabelText('Expires in (days)'));
      await userEvent.type(form.getByLabelText('Expires in (days)'), '3');
      await userEvent.click(form.getByRole('button', { name: 'Create invite' }));

      expect(await screen.findByTestId('invite-url')).toHaveTextContent(signupUrl);
      expect(screen.getByText(/it\s+will not be shown again/)).toBeInTheDocument();
      expect(screen.getByRole('button', { name: 'Copy sign-up link' })).toBeInTheDocument();
      expect(calls.find((c) => c.method === 'POST')).toMatchObject({
        path: '/admin/invites',
        body: { email: 'new@example.com', expires_in: 3 * 86_400 },
      });
      // The list shows the invite, never its link.
      await waitFor(() => expect(document.querySelectorAll('.invites-table tbody tr')).toHaveLength(1));
      expect(document.querySelector('.invites-table')).not.toHaveTextContent('SECRET123');
      expect(form.getByLabelText('E-mail (optional)')).toHaveValue('');
      expect(form.getByLabelText('Expires in (days)')).toHaveValue('7');

      await userEvent.click(screen.getByRole('button', { name: 'I have sent it' }));
      expect(screen.queryByTestId('invite-url')).not.toBeInTheDocument();
      expect(screen.queryByText(/SECRET123/)).not.toBeInTheDocument();
    });

    it('sends no e-mail for an invite anyone may use, and the default 7 days', async () => {
      const { calls } = mockApi({
        'GET /admin/users': { body: { users: [me], next_after: null } },
        'GET /admin/invites': { body: { invites: [] } },
        'POST /admin/invites': { status: 201, body: { ...invite({ id: 5 }), token: 't', signup_url: signupUrl } },
      });
      renderAdmin();
      await userEvent.click(await screen.findByRole('button', { name: 'Create invite' }));
      await screen.findByTestId('invite-url');
      expect(calls.find((c) => c.method === 'POST')?.body).toEqual({ expires_in: 7 * 86_400 });
    });
  });
});
