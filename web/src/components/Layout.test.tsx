import { act, fireEvent, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { apiRequest } from '../api/client';
import { ME_REFRESH_MS } from '../api/queries';
import { getSessionState } from '../auth/session';
import { apiError, mockApi, renderApp, signIn } from '../test/utils';
import { Layout } from './Layout';

describe('Layout and protected routes', () => {
  it("shows the user's e-mail and logs out to the login page", async () => {
    mockApi({});
    signIn({ email: 'grace@example.com' });
    renderApp(
      <Layout>
        <p>page body</p>
      </Layout>,
      { protectedRoute: true },
    );
    expect(screen.getByRole('navigation', { name: 'Main' })).toBeInTheDocument();
    expect(screen.getByTestId('user-email')).toHaveTextContent('grace@example.com');
    expect(screen.getByRole('link', { name: 'Files' })).toHaveAttribute('aria-current', 'page');
    expect(screen.getByRole('link', { name: 'Buckets' })).toHaveAttribute('href', '/buckets');
    await userEvent.click(screen.getByRole('button', { name: 'Log out' }));
    expect(screen.getByTestId('location')).toHaveTextContent('/login');
    expect(getSessionState()).toEqual({ session: null, endReason: 'logout' });
    expect(localStorage.getItem('tiergate.session')).toBeNull();
  });

  it('redirects a signed-out visitor to the login page, remembering where they wanted to go', () => {
    mockApi({});
    renderApp(<p>secret</p>, { route: '/s3', path: '/s3', protectedRoute: true });
    expect(screen.queryByText('secret')).not.toBeInTheDocument();
    expect(screen.getByTestId('location')).toHaveTextContent('/login');
    expect(JSON.parse(screen.getByTestId('login-state').textContent ?? '{}')).toEqual({ from: '/s3' });
  });

  it('treats a stored token past its expiry as an expired session', async () => {
    localStorage.setItem(
      'tiergate.session',
      JSON.stringify({ token: 't', userId: 1, email: 'a@b.co', isAdmin: false, expiresAt: Date.now() - 1000 }),
    );
    const { reloadSession } = await import('../auth/session');
    reloadSession();
    mockApi({});
    renderApp(<p>secret</p>, { protectedRoute: true });
    expect(JSON.parse(screen.getByTestId('login-state').textContent ?? '{}')).toMatchObject({ reason: 'expired' });
  });

  it('shows the Admin link to admins only', async () => {
    mockApi({ 'GET /auth/me': { body: { user_id: 7, email: 'ada@example.com', is_admin: false, expires_at: 0 } } });
    signIn({ isAdmin: false });
    const { unmount } = renderApp(<Layout>body</Layout>, { protectedRoute: true });
    expect(screen.getByRole('link', { name: 'Tiering' })).toBeInTheDocument();
    expect(screen.queryByRole('link', { name: 'Admin' })).not.toBeInTheDocument();
    unmount();

    mockApi({ 'GET /auth/me': { body: { user_id: 7, email: 'ada@example.com', is_admin: true, expires_at: 0 } } });
    signIn({ isAdmin: true });
    renderApp(<Layout>body</Layout>, { protectedRoute: true });
    expect(screen.getByRole('link', { name: 'Admin' })).toHaveAttribute('href', '/admin');
  });

  it('follows /api/auth/me when admin rights were granted or taken back since the login', async () => {
    let isAdmin = true;
    const { calls } = mockApi({
      'GET /auth/me': () => ({ body: { user_id: 7, email: 'ada@example.com', is_admin: isAdmin, expires_at: 0 } }),
    });
    signIn({ isAdmin: false });
    const { queryClient } = renderApp(<Layout>body</Layout>, { protectedRoute: true });
    expect(await screen.findByRole('link', { name: 'Admin' })).toBeInTheDocument();
    expect(getSessionState().session?.isAdmin).toBe(true);
    expect(JSON.parse(localStorage.getItem('tiergate.session') ?? '{}')).toMatchObject({ isAdmin: true, token: 'token-123' });
    expect(calls[0]?.headers.Authorization).toBe('Bearer token-123');

    isAdmin = false;
    await queryClient.invalidateQueries();
    await waitFor(() => expect(screen.queryByRole('link', { name: 'Admin' })).not.toBeInTheDocument());
    expect(getSessionState().session?.isAdmin).toBe(false);
  });

  it('logs out a disabled account and tells the login page why', async () => {
    mockApi({ 'GET /auth/me': apiError(403, 'account_disabled', 'this account is disabled; ask an administrator') });
    signIn();
    renderApp(<Layout>body</Layout>, { protectedRoute: true });
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent('/login'));
    expect(JSON.parse(screen.getByTestId('login-state').textContent ?? '{}')).toEqual({ from: '/', reason: 'disabled' });
    expect(getSessionState()).toEqual({ session: null, endReason: 'disabled' });
  });

  it('shows the Admin link as soon as the window gets the focus back after rights were granted', async () => {
    let isAdmin = false;
    const { calls } = mockApi({
      'GET /auth/me': () => ({ body: { user_id: 7, email: 'ada@example.com', is_admin: isAdmin, expires_at: 0 } }),
    });
    signIn({ isAdmin: false });
    renderApp(<Layout>body</Layout>, { protectedRoute: true });
    await waitFor(() => expect(calls.filter((c) => c.path === '/auth/me')).toHaveLength(1));
    expect(screen.queryByRole('link', { name: 'Admin' })).not.toBeInTheDocument();

    // An admin grants the rights a few seconds later; the user comes back to the tab.
    isAdmin = true;
    act(() => {
      fireEvent(window, new Event('visibilitychange'));
    });
    expect(await screen.findByRole('link', { name: 'Admin' })).toBeInTheDocument();
    expect(getSessionState().session?.isAdmin).toBe(true);
  });

  it('asks again once a minute, for a tab that stays open', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    let isAdmin = false;
    const { calls } = mockApi({
      'GET /auth/me': () => ({ body: { user_id: 7, email: 'ada@example.com', is_admin: isAdmin, expires_at: 0 } }),
    });
    signIn({ isAdmin: false });
    renderApp(<Layout>body</Layout>, { protectedRoute: true });
    await waitFor(() => expect(calls.filter((c) => c.path === '/auth/me')).toHaveLength(1));
    isAdmin = true;
    await act(async () => {
      await vi.advanceTimersByTimeAsync(ME_REFRESH_MS);
    });
    expect(await screen.findByRole('link', { name: 'Admin' })).toBeInTheDocument();
  });

  it('asks at once when the API refuses an admin route, and hides the admin tools', async () => {
    let isAdmin = true;
    const { calls } = mockApi({
      'GET /auth/me': () => ({ body: { user_id: 7, email: 'ada@example.com', is_admin: isAdmin, expires_at: 0 } }),
      'GET /tiering/runs': apiError(403, 'forbidden', 'only administrators may do this'),
    });
    signIn({ isAdmin: true });
    renderApp(<Layout>body</Layout>, { protectedRoute: true });
    expect(await screen.findByRole('link', { name: 'Admin' })).toBeInTheDocument();
    await waitFor(() => expect(calls.filter((c) => c.path === '/auth/me')).toHaveLength(1));

    isAdmin = false;
    await apiRequest('/tiering/runs?limit=20&offset=0').catch(() => {});
    await waitFor(() => expect(screen.queryByRole('link', { name: 'Admin' })).not.toBeInTheDocument());
    expect(calls.filter((c) => c.path === '/auth/me')).toHaveLength(2);
    expect(getSessionState().session?.isAdmin).toBe(false);
  });
});
