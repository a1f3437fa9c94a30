import { describe, expect, it, vi } from 'vitest';
import { getSessionState } from '../auth/session';
import { apiError, mockApi, signIn } from '../test/utils';
import { ApiError, apiRequest, onAdminRefused } from './client';

describe('apiRequest', () => {
  it('ends the session when the account has been disabled (403 account_disabled), like a 401', async () => {
    signIn();
    mockApi({ 'GET /files': apiError(403, 'account_disabled', 'this account is disabled; ask an administrator') });
    const error = await apiRequest('/files').catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 403, code: 'account_disabled' });
    expect(getSessionState()).toEqual({ session: null, endReason: 'disabled' });
    expect(localStorage.getItem('tiergate.session')).toBeNull();
  });

  it('keeps the session on any other 403', async () => {
    const session = signIn();
    mockApi({ 'GET /admin/users': apiError(403, 'forbidden', 'only administrators may do this') });
    await expect(apiRequest('/admin/users')).rejects.toMatchObject({ status: 403, code: 'forbidden' });
    expect(getSessionState().session).toEqual(session);
  });

  it('does not end a session for a call made without the token', async () => {
    const session = signIn();
    mockApi({ 'POST /auth/login': apiError(403, 'account_disabled', 'this account is disabled; ask an administrator') });
    await expect(apiRequest('/auth/login', { method: 'POST', body: {}, auth: false })).rejects.toBeInstanceOf(ApiError);
    expect(getSessionState().session).toEqual(session);
  });

  it('tells its listeners when an admin route is refused, and only then', async () => {
    signIn({ isAdmin: true });
    mockApi({
      'GET /tiering/runs': apiError(403, 'forbidden', 'only administrators may do this'),
      'GET /admin/users': apiError(403, 'forbidden', 'only administrators may do this'),
      'GET /files/9': apiError(403, 'forbidden', 'this file belongs to another user'),
    });
    const listener = vi.fn();
    const stop = onAdminRefused(listener);
    await apiRequest('/tiering/runs?limit=20&offset=0').catch(() => {});
    await apiRequest('/admin/users').catch(() => {});
    expect(listener).toHaveBeenCalledTimes(2);
    await apiRequest('/files/9').catch(() => {});
    expect(listener).toHaveBeenCalledTimes(2);
    stop();
    await apiRequest('/admin/users').catch(() => {});
    expect(listener).toHaveBeenCalledTimes(2);
  });
});
