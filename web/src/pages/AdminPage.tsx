import { useState, type FormEvent } from 'react';
import { ApiError } from '../api/client';
import {
  useAdminUsers,
  useCreateInvite,
  useDeleteUser,
  useInvites,
  useSetAdmin,
  useSetDisabled,
  useWithdrawInvite,
} from '../api/queries';
import type { AdminUser, Invite, NewInvite } from '../api/types';
import { useSession } from '../auth/AuthContext';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { CopyButton } from '../components/CopyButton';
import { Field } from '../components/Field';
import { QuotaEditor, quotaSummary } from '../components/QuotaEditor';
import { UsageBar } from '../components/UsageBar';
import { formatBytes, formatCount, formatDate, plural } from '../lib/format';
import { emailProblem, inviteDaysProblem } from '../lib/validation';
import { useDocumentTitle } from '../lib/useDocumentTitle';

const DEFAULT_INVITE_DAYS = '7';
const SECONDS_PER_DAY = 86_400;

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : 'Something went wrong.';
}

function isForbidden(err: unknown): boolean {
  return err instanceof ApiError && err.status === 403 && err.code === 'forbidden';
}

type Confirming = { kind: 'disable' | 'delete'; user: AdminUser };

function UsersSection() {
  const session = useSession();
  const users = useAdminUsers();
  const setDisabled = useSetDisabled();
  const setAdmin = useSetAdmin();
  const deleteUser = useDeleteUser();
  const [editing, setEditing] = useState<AdminUser | null>(null);
  const [confirming, setConfirming] = useState<Confirming | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);

  const rows = users.data?.pages.flatMap((page) => page.users) ?? [];
  const confirmMutation = confirming?.kind === 'delete' ? deleteUser : setDisabled;

  function enable(user: AdminUser) {
    setActionError(null);
    setDisabled.mutate(
      { id: user.id, disabled: false },
      { onError: (err) => setActionError(`Could not enable ${user.email}: ${errorText(err)}`) },
    );
  }

  function changeAdmin(user: AdminUser, admin: boolean) {
    setActionError(null);
    setAdmin.mutate(
      { id: user.id, admin },
      {
        onError: (err) =>
          setActionError(`Could not ${admin ? 'make' : 'stop'} ${user.email} ${admin ? 'an admin' : 'being an admin'}: ${errorText(err)}`),
      },
    );
  }

  function ask(kind: Confirming['kind'], user: AdminUser) {
    setActionError(null);
    setDisabled.reset();
    deleteUser.reset();
    setConfirming({ kind, user });
  }

  function confirm() {
    if (!confirming) return;
    const done = { onSuccess: () => setConfirming(null) };
    if (confirming.kind === 'delete') deleteUser.mutate(confirming.user.id, done);
    else setDisabled.mutate({ id: confirming.user.id, disabled: true }, done);
  }

  const busyOn = (user: AdminUser) =>
    (setDisabled.isPending && setDisabled.variables?.id === user.id) ||
    (setAdmin.isPending && setAdmin.variables?.id === user.id);

  return (
    <section className="card" aria-labelledby="users-heading">
      <div className="section-head">
        <h2 id="users-heading">
          Users{users.data ? <span className="count"> ({formatCount(rows.length)}{users.hasNextPage ? '+' : ''})</span> : null}
        </h2>
        <button type="button" className="button button-small" onClick={() => users.refetch()} disabled={users.isFetching}>
          {users.isFetching && !users.isFetchingNextPage ? 'Refreshing…' : 'Refresh'}
        </button>
      </div>
      {actionError && (
        <p className="banner banner-error" role="alert">
          {actionError}
        </p>
      )}
      {users.isPending ? (
        <p className="empty-state" role="status">
          Loading users…
        </p>
      ) : users.isError && !users.data ? (
        <div className="empty-state" role="alert">
          <p>The users could not be loaded: {errorText(users.error)}</p>
          <button type="button" className="button" onClick={() => users.refetch()}>
            Try again
          </button>
        </div>
      ) : rows.length === 0 ? (
        <p className="empty-state">No users yet.</p>
      ) : (
        <>
          <div className="table-wrap">
            <table className="data-table users-table" aria-busy={users.isFetching}>
              <thead>
                <tr>
                  <th scope="col">User</th>
                  <th scope="col">Created</th>
                  <th scope="col">Last login</th>
                  <th scope="col">Storage</th>
                  <th scope="col">Objects</th>
                  <th scope="col">Quota</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((user) => (
                  <UserRow
                    key={user.id}
                    user={user}
                    self={user.id === session.userId}
                    busy={busyOn(user)}
                    onEditQuota={() => {
                      setActionError(null);
                      setEditing(user);
                    }}
                    onDisable={() => ask('disable', user)}
                    onEnable={() => enable(user)}
                    onAdmin={(admin) => changeAdmin(user, admin)}
                    onDelete={() => ask('delete', user)}
                  />
                ))}
              </tbody>
            </table>
          </div>
          {users.isError && (
            <p className="banner banner-warning" role="alert">
              Could not load more users: {errorText(users.error)}
            </p>
          )}
          {users.hasNextPage && (
            <div className="more-row">
              <button
                type="button"
                className="button"
                onClick={() => users.fetchNextPage()}
                disabled={users.isFetchingNextPage}
              >
                {users.isFetchingNextPage ? 'Loading…' : 'More'}
              </button>
            </div>
          )}
        </>
      )}

      {editing && <QuotaEditor user={editing} onClose={() => setEditing(null)} />}

      {confirming && (
        <ConfirmDialog
          title={confirming.kind === 'delete' ? 'Delete this user?' : 'Disable this account?'}
          confirmLabel={confirming.kind === 'delete' ? 'Delete' : 'Disable'}
          busy={confirmMutation.isPending}
          error={confirmMutation.isError ? errorText(confirmMutation.error) : null}
          onConfirm={confirm}
          onCancel={() => setConfirming(null)}
        >
          {confirming.kind === 'delete' ? (
            <p>
              <strong className="break">{confirming.user.email}</strong> will be deleted with their keys and all their
              files ({plural(confirming.user.usage.objects, 'object')}, {formatBytes(confirming.user.usage.bytes)}). This
              cannot be undone.
            </p>
          ) : (
            <p>
              <strong className="break">{confirming.user.email}</strong> will be logged out everywhere, and their keys and
              credentials stop working. Their files stay; you can enable the account again.
            </p>
          )}
        </ConfirmDialog>
      )}
    </section>
  );
}

function UserRow({
  user,
  self,
  busy,
  onEditQuota,
  onDisable,
  onEnable,
  onAdmin,
  onDelete,
}: {
  user: AdminUser;
  self: boolean;
  busy: boolean;
  onEditQuota: () => void;
  onDisable: () => void;
  onEnable: () => void;
  onAdmin: (admin: boolean) => void;
  onDelete: () => void;
}) {
  const { usage, quota } = user;
  return (
    <tr data-user-id={user.id} className={user.disabled ? 'row-disabled' : undefined}>
      <td data-label="User" className="cell-user">
        <span>
          <span>{user.email}</span>
          {self && <span className="tag">you</span>}
          {user.is_admin && (
            <span
              className="status status-admin"
              title={user.admin_source === 'settings' ? "Named in the server's settings" : 'Made an admin here'}
            >
              admin
            </span>
          )}
          {user.disabled && (
            <span className="status status-disabled" title={user.disabled_at ? `Since ${formatDate(user.disabled_at)}` : undefined}>
              disabled
            </span>
          )}
        </span>
      </td>
      <td data-label="Created">
        <time dateTime={user.created_at}>{formatDate(user.created_at)}</time>
      </td>
      <td data-label="Last login">
        {user.last_login_at ? (
          <time dateTime={user.last_login_at}>{formatDate(user.last_login_at)}</time>
        ) : (
          <span className="muted">Never</span>
        )}
      </td>
      <td data-label="Storage" className="cell-usage">
        <UsageBar
          label={`Storage of ${user.email}`}
          hot={usage.hot_bytes}
          cold={usage.cold_bytes}
          limit={quota.bytes}
          format={formatBytes}
          compact
        />
      </td>
      <td data-label="Objects" className="cell-num">
        <span>
          {formatCount(usage.objects)}
          {quota.objects !== null && <span className="muted"> / {formatCount(quota.objects)}</span>}
        </span>
      </td>
      <td data-label="Quota" className="cell-quota">
        <span>
          {quotaSummary(quota)}
          {!quota.custom && <span className="tag">default</span>}
        </span>
      </td>
      <td className="cell-actions">
        <div className="row-actions">
          <button type="button" className="button button-small" onClick={onEditQuota} aria-label={`Edit quota of ${user.email}`}>
            Edit quota
          </button>
          {user.disabled ? (
            <button type="button" className="button button-small" onClick={onEnable} disabled={busy} aria-label={`Enable ${user.email}`}>
              Enable
            </button>
          ) : (
            <button
              type="button"
              className="button button-small button-danger-outline"
              onClick={onDisable}
              disabled={busy}
              aria-label={`Disable ${user.email}`}
            >
              Disable
            </button>
          )}
          {user.admin_source !== 'settings' &&
            (user.is_admin ? (
              <button
                type="button"
                className="button button-small"
                onClick={() => onAdmin(false)}
                disabled={busy}
                aria-label={`Revoke admin from ${user.email}`}
              >
                Revoke admin
              </button>
            ) : (
              <button
                type="button"
                className="button button-small"
                onClick={() => onAdmin(true)}
                disabled={busy}
                aria-label={`Grant admin to ${user.email}`}
              >
                Grant admin
              </button>
            ))}
          <button
            type="button"
            className="button button-small button-danger-outline"
            onClick={onDelete}
            aria-label={`Delete ${user.email}`}
          >
            Delete
          </button>
        </div>
      </td>
    </tr>
  );
}

function InviteStatus({ status }: { status: Invite['status'] }) {
  const labels: Record<string, string> = { unused: 'Unused', used: 'Used', expired: 'Expired' };
  return <span className={`status status-${status}`}>{labels[status] ?? status}</span>;
}

function InvitesSection() {
  const invites = useInvites();
  const create = useCreateInvite();
  const withdraw = useWithdrawInvite();
  const [email, setEmail] = useState('');
  const [days, setDays] = useState(DEFAULT_INVITE_DAYS);
  const [emailError, setEmailError] = useState<string | null>(null);
  const [daysError, setDaysError] = useState<string | null>(null);
  const [created, setCreated] = useState<NewInvite | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);

  function onCreate(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const address = email.trim();
    const eProblem = address ? emailProblem(address) : null;
    const dProblem = inviteDaysProblem(days);
    setEmailError(eProblem);
    setDaysError(dProblem);
    if (eProblem || dProblem) return;
    setCreated(null);
    create.mutate(
      { ...(address ? { email: address } : {}), expires_in: Number(days.trim()) * SECONDS_PER_DAY },
      {
        onSuccess: (invite) => {
          setCreated(invite);
          setEmail('');
          setDays(DEFAULT_INVITE_DAYS);
        },
        onError: (err) => {
          if (err instanceof ApiError && err.field === 'email') setEmailError(err.message);
          else if (err instanceof ApiError && err.field === 'expires_in') setDaysError(err.message);
        },
      },
    );
  }

  function onWithdraw(invite: Invite) {
    setActionError(null);
    withdraw.mutate(invite.id, {
      onSuccess: () => {
        if (created?.id === invite.id) setCreated(null);
      },
      onError: (err) => setActionError(`Could not withdraw the invite: ${errorText(err)}`),
    });
  }

  const createError =
    create.isError && !(create.error instanceof ApiError && (create.error.field === 'email' || create.error.field === 'expires_in'))
      ? errorText(create.error)
      : null;

  return (
    <section className="card" aria-labelledby="invites-heading">
      <h2 id="invites-heading">Invites</h2>
      <p className="muted">
        An invite is a single-use sign-up link, needed when sign-up is set to invite only. With an e-mail address, only
        that address may use it.
      </p>
      <form className="inline-form invite-form" onSubmit={onCreate} noValidate aria-label="New invite">
        <Field
          label="E-mail (optional)"
          type="email"
          name="invite-email"
          autoComplete="off"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          error={emailError}
        />
        <Field
          label="Expires in (days)"
          type="text"
          inputMode="numeric"
          name="invite-days"
          autoComplete="off"
          value={days}
          onChange={(e) => setDays(e.target.value)}
          error={daysError}
        />
        <button type="submit" className="button button-primary" disabled={create.isPending}>
          {create.isPending ? 'Creating…' : 'Create invite'}
        </button>
      </form>
      {createError && (
        <p className="banner banner-error" role="alert">
          Could not create an invite: {createError}
        </p>
      )}
      {created && (
        <div className="banner banner-success new-key" role="status">
          <p>
            <strong>Invite created{created.email ? ` for ${created.email}` : ''}.</strong> Send this sign-up link now: it
            will not be shown again. It works once, until {formatDate(created.expires_at)}.
          </p>
          <div className="kv-row">
            <code className="kv-value" data-testid="invite-url">
              {created.signup_url}
            </code>
            <CopyButton text={created.signup_url} label="Copy" name="Copy sign-up link" />
          </div>
          <button type="button" className="button button-small button-ghost" onClick={() => setCreated(null)}>
            I have sent it
          </button>
        </div>
      )}
      {actionError && (
        <p className="banner banner-error" role="alert">
          {actionError}
        </p>
      )}
      {invites.isPending ? (
        <p role="status">Loading invites…</p>
      ) : invites.isError ? (
        <p className="banner banner-error" role="alert">
          Could not load invites: {errorText(invites.error)}
        </p>
      ) : invites.data.length === 0 ? (
        <p className="empty-state">No invites yet.</p>
      ) : (
        <div className="table-wrap">
          <table className="data-table invites-table">
            <thead>
              <tr>
                <th scope="col">For</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">Status</th>
                <th scope="col">Used</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {invites.data.map((invite) => (
                <tr key={invite.id} data-invite-id={invite.id}>
                  <td data-label="For">{invite.email ?? <span className="muted">Anyone</span>}</td>
                  <td data-label="Created">{formatDate(invite.created_at)}</td>
                  <td data-label="Expires">{formatDate(invite.expires_at)}</td>
                  <td data-label="Status">
                    <InviteStatus status={invite.status} />
                  </td>
                  <td data-label="Used">{invite.used_at ? formatDate(invite.used_at) : <span className="muted">—</span>}</td>
                  <td className="cell-actions">
                    {invite.status === 'unused' && (
                      <button
                        type="button"
                        className="button button-small button-danger-outline"
                        onClick={() => onWithdraw(invite)}
                        disabled={withdraw.isPending && withdraw.variables === invite.id}
                        aria-label={`Withdraw the invite ${invite.email ? `for ${invite.email}` : invite.id}`}
                      >
                        Withdraw
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** Users (usage, quotas, disabling, admin rights, deletion) and sign-up invites; admins only. */
export function AdminPage() {
  useDocumentTitle('Admin');
  const users = useAdminUsers();
  if (isForbidden(users.error)) {
    return (
      <>
        <h1 className="page-title">Admin</h1>
        <p className="banner banner-info" role="alert">
          Only administrators can open this page. Ask one if you need to manage users or invites.
        </p>
      </>
    );
  }
  return (
    <>
      <h1 className="page-title">Admin</h1>
      <p className="lead">Users with their storage and quotas, and invites to sign up.</p>
      <UsersSection />
      {/* After the first answer: a non-admin is not sent a second refusal. */}
      {!users.isPending && <InvitesSection />}
    </>
  );
}
