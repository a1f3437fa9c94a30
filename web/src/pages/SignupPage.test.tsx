import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { apiError, mockApi, renderApp } from '../test/utils';
import { SignupPage } from './SignupPage';

function renderSignup() {
  return renderApp(<SignupPage />, { route: '/signup', path: '/signup' });
}

async function submit(email: string, password: string) {
  if (email) await userEvent.type(screen.getByLabelText('E-mail'), email);
  if (password) await userEvent.type(screen.getByLabelText('Password'), password);
  await userEvent.click(screen.getByRole('button', { name: 'Sign up' }));
}

describe('SignupPage', () => {
  it('checks e-mail format and password length before sending anything', async () => {
    const { fetchMock } = mockApi({});
    renderSignup();
    await submit('ada.example.com', 'short');
    expect(screen.getByLabelText('E-mail')).toHaveAccessibleDescription('Enter an e-mail address like name@example.com.');
    expect(screen.getByLabelText('Password')).toHaveAccessibleDescription('At least 8 characters. Use at least 8 characters.');
    expect(screen.getByLabelText('Password')).toHaveAttribute('aria-invalid', 'true');
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it('accepts a password of exactly 8 characters', async () => {
    const { calls } = mockApi({ 'POST /auth/signup': { status: 201, body: { user_id: 1, email: 'ada@example.com', message: 'ok' } } });
    renderSignup();
    await submit('ada@example.com', '12345678');
    expect(await screen.findByTestId('login-state')).toBeInTheDocument();
    expect(calls[0]?.body).toEqual({ email: 'ada@example.com', password: '12345678' });
  });

  it("shows the server's 409 by the e-mail field", async () => {
    mockApi({ 'POST /auth/signup': apiError(409, 'email_taken', 'an account with this e-mail already exists', 'email') });
    renderSignup();
    await submit('ada@example.com', 'long enough');
    const email = await screen.findByLabelText('E-mail');
    await screen.findByText('An account with this e-mail already exists');
    expect(email).toHaveAttribute('aria-invalid', 'true');
    expect(email).toHaveAccessibleDescription('An account with this e-mail already exists');
    expect(screen.getByLabelText('Password')).not.toHaveAttribute('aria-invalid');
  });

  it("shows the server's 422 by the field it names", async () => {
    mockApi({ 'POST /auth/signup': apiError(422, 'validation_error', 'password: is too common', 'password') });
    renderSignup();
    await submit('ada@example.com', 'password');
    await screen.findByText('Is too common');
    expect(screen.getByLabelText('Password')).toHaveAccessibleDescription('At least 8 characters. Is too common');
  });

  it('leads to the login page with a success message', async () => {
    mockApi({
      'POST /auth/signup': { status: 201, body: { user_id: 1, email: 'ada@example.com', message: 'account created; you can log in now' } },
    });
    renderSignup();
    await submit('ada@example.com', 'long enough');
    const state = JSON.parse((await screen.findByTestId('login-state')).textContent ?? 'null');
    expect(screen.getByTestId('location')).toHaveTextContent('/login');
    expect(state).toEqual({ signedUp: { email: 'ada@example.com', message: 'account created; you can log in now' } });
  });
});
