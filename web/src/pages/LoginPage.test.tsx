import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter, Route, Routes } from 'react-router';
import { describe, expect, it } from 'vitest';
import { AuthProvider } from '../auth/AuthContext';
import { getSessionState } from '../auth/session';
import { apiError, mockApi } from '../test/utils';
import { LoginPage } from './LoginPage';

function renderLogin(state?: unknown) {
  return render(
    <QueryClientProvider client={new QueryClient()}>
      <MemoryRouter initialEntries={[{ pathname: '/login', state }]}>
        <AuthProvider>
          <Routes>
            <Route path="/login" element={<LoginPage />} />
            <Route path="/" element={<p>dashboard</p>} />
            <Route path="/s3" element={<p>s3 page</p>} />
          </Routes>
        </AuthProvider>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

describe('LoginPage', () => {
  it('checks the e-mail format before asking the server', async () => {
    const { fetchMock } = mockApi({});
    renderLogin();
    await userEvent.type(screen.getByLabelText('E-mail'), 'nobody');
    await userEvent.type(screen.getByLabelText('Password'), 'whatever1');
    await userEvent.click(screen.getByRole('button', { name: 'Log in' }));
    expect(screen.getByLabelText('E-mail')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByLabelText('E-mail')).toHaveAccessibleDescription('Enter an e-mail address like name@example.com.');
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it('shows a 401 as one clear message and stays on the page', async () => {
    mockApi({ 'POST /auth/login': apiError(401, 'invalid_credentials', 'wrong e-mail or password') });
    renderLogin();
    await userEvent.type(screen.getByLabelText('E-mail'), 'ada@example.com');
    await userEvent.type(screen.getByLabelText('Password'), 'not the password');
    await userEvent.click(screen.getByRole('button', { name: 'Log in' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Wrong e-mail or password. Check both and try again.');
    expect(screen.getAllByRole('alert')).toHaveLength(1);
    expect(getSessionState().session).toBeNull();
  });

  it('keeps the token in localStorage and goes where the user was headed', async () => {
    const { calls } = mockApi({
      'POST /auth/login': {
        body: { access_token: 'jwt-1', token_type: 'bearer', expires_in: 86400, user_id: 3, email: 'ada@example.com', is_admin: true },
      },
    });
    renderLogin({ from: '/s3' });
    await userEvent.type(screen.getByLabelText('E-mail'), ' ada@example.com ');
    await userEvent.type(screen.getByLabelText('Password'), 'correct horse');
    await userEvent.click(screen.getByRole('button', { name: 'Log in' }));
    expect(await screen.findByText('s3 page')).toBeInTheDocument();
    expect(calls[0]?.body).toEqual({ email: 'ada@example.com', password: 'correct horse' });
    expect(calls[0]?.headers.Authorization).toBeUndefined();
    const stored = JSON.parse(localStorage.getItem('tiergate.session') ?? 'null');
    expect(stored).toMatchObject({ token: 'jwt-1', email: 'ada@example.com', isAdmin: true, userId: 3 });
  });

  it('says why the user was sent here after a sign-up or an expired session', () => {
    mockApi({});
    const { unmount } = renderLogin({ signedUp: { email: 'new@example.com', message: 'account created' } });
    expect(screen.getByRole('status')).toHaveTextContent('Your account was created. Log in as new@example.com.');
    expect(screen.getByLabelText('E-mail')).toHaveValue('new@example.com');
    unmount();
    renderLogin({ reason: 'expired' });
    expect(screen.getByRole('status')).toHaveTextContent('Your session has expired. Please log in again.');
  });

  it('says so when the account is disabled (403 account_disabled)', async () => {
    mockApi({ 'POST /auth/login': apiError(403, 'account_disabled', 'this account is disabled; ask an administrator') });
    renderLogin();
    await userEvent.type(screen.getByLabelText('E-mail'), 'ada@example.com');
    await userEvent.type(screen.getByLabelText('Password'), 'correct horse');
    await userEvent.click(screen.getByRole('button', { name: 'Log in' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('This account is disabled. Ask an administrator to enable it again.');
    expect(getSessionState().session).toBeNull();
    expect(screen.getByRole('button', { name: 'Log in' })).toBeEnabled();
  });

  it('explains a logout caused by the account being disabled', () => {
    mockApi({});
    renderLogin({ reason: 'disabled' });
    expect(screen.getByRole('status')).toHaveTextContent('You were logged out. This account is disabled.');
  });
});
