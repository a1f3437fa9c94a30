import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { getSessionState } from '../auth/session';
import { mockApi, renderApp, signIn } from '../test/utils';
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
});
