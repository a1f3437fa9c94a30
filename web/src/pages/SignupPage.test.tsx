import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { apiError, mockApi, renderApp, type RecordedCall } from '../test/utils';
import { SignupPage } from './SignupPage';

function renderSignup(route = '/signup') {
  return renderApp(<SignupPage />, { route, path: '/signup' });
}

function signupCall(calls: RecordedCall[]) {
  return calls.find((c) => c.method === 'POST' && c.path === '/auth/signup');
}

function policy(signup: 'open' | 'invite' | 'closed') {
  return { body: { signup } };
}

const created = { status: 201, body: { user_id: 1, email: 'ada@example.com', message: 'account created; you can log in now' } };

async function submit(email: string, password: string) {
  if (email) await userEvent.type(screen.getByLabelText('E-mail'), email);
  if (password) await userEvent.type(screen.getByLabelText('Password'), password);
  await userEvent.click(screen.getByRole('button', { name: 'Sign up' }));
}

describe('SignupPage', () => {
  it('checks e-mail format and password length before sending anything', async () => {
    const { calls } = mockApi({});
    renderSignup();
    await submit('ada.example.com', 'short');
    expect(screen.getByLabelText('E-mail')).toHaveAccessibleDescription('Enter an e-mail address like name@example.com.');
    expect(screen.getByLabelText('Password')).toHaveAccessibleDescription('At least 8 characters. Use at least 8 characters.');
    expect(screen.getByLabelText('Password')).toHaveAttribute('aria-invalid', 'true');
    // Only the sign-up policy is asked for (on arrival); no sign-up is sent.
    expect(calls.filter((c) => c.path !== '/auth/signup-policy')).toEqual([]);
  });

  it('accepts a password of exactly 8 characters', async () => {
    const { calls } = mockApi({ 'POST /auth/signup': { status: 201, body: { user_id: 1, email: 'ada@example.com', message: 'ok' } } });
    renderSignup();
    await submit('ada@example.com', '12345678');
    expect(await screen.findByTestId('login-state')).toBeInTheDocument();
    expect(signupCall(calls)?.body).toEqual({ email: 'ada@example.com', password: '12345678' });
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

  it('asks for no invite while sign-up is open', async () => {
    const { calls } = mockApi({ 'GET /auth/signup-policy': policy('open'), 'POST /auth/signup': created });
    renderSignup();
    await waitFor(() => expect(calls.some((c) => c.path === '/auth/signup-policy')).toBe(true));
    expect(calls.find((c) => c.path === '/auth/signup-policy')?.headers.Authorization).toBeUndefined();
    expect(screen.queryByLabelText('Invite code')).not.toBeInTheDocument();
    expect(screen.queryByText(/Sign-up is closed/)).not.toBeInTheDocument();
    await submit('ada@example.com', 'long enough');
    await screen.findByTestId('login-state');
    expect(signupCall(calls)?.body).toEqual({ email: 'ada@example.com', password: 'long enough' });
  });

  it('asks for an invite code when sign-up needs one, and sends it', async () => {
    const { calls } = mockApi({ 'GET /auth/signup-policy': policy('invite'), 'POST /auth/signup': created });
    renderSignup();
    const invite = await screen.findByLabelText('Invite code');
    expect(invite).toHaveValue('');
    expect(invite).toHaveAccessibleDescription(/needs an invite from an administrator/);
    await userEvent.type(invite, ' code-123 ');
    await submit('ada@example.com', 'long enough');
    await screen.findByTestId('login-state');
    expect(signupCall(calls)?.body).toEqual({ email: 'ada@example.com', password: 'long enough', invite: 'code-123' });
  });

  it('fills the invite code in from the ?invite= of an invite link', async () => {
    const { calls } = mockApi({ 'GET /auth/signup-policy': policy('invite'), 'POST /auth/signup': created });
    renderSignup('/signup?invite=tok_ABC-123');
    expect(await screen.findByLabelText('Invite code')).toHaveValue('tok_ABC-123');
    await submit('ada@example.com', 'long enough');
    await screen.findByTestId('login-state');
    expect(signupCall(calls)?.body).toEqual({ email: 'ada@example.com', password: 'long enough', invite: 'tok_ABC-123' });
  });

  it("sends the link's invite even while sign-up is open", async () => {
    const { calls } = mockApi({ 'GET /auth/signup-policy': policy('open'), 'POST /auth/signup': created });
    renderSignup('/signup?invite=tok-open');
    expect(screen.getByLabelText('Invite code')).toHaveValue('tok-open');
    await submit('ada@example.com', 'long enough');
    await screen.findByTestId('login-state');
    expect(signupCall(calls)?.body).toMatchObject({ invite: 'tok-open' });
  });

  it('says sign-up is closed but still lets a named admin sign up', async () => {
    const { calls } = mockApi({ 'GET /auth/signup-policy': policy('closed'), 'POST /auth/signup': created });
    renderSignup();
    const notice = await screen.findByText(
      'Sign-up is closed on this server. Only administrators named in its settings can create an account.',
    );
    expect(notice).toHaveAttribute('role', 'status');
    expect(screen.queryByLabelText('Invite code')).not.toBeInTheDocument();
    await submit('ada@example.com', 'long enough');
    await screen.findByTestId('login-state');
    expect(signupCall(calls)?.body).toEqual({ email: 'ada@example.com', password: 'long enough' });
  });

  it("shows the server's signup_closed refusal on the form", async () => {
    mockApi({
      'GET /auth/signup-policy': policy('closed'),
      'POST /auth/signup': apiError(403, 'signup_closed', 'sign-up is closed on this server'),
    });
    renderSignup();
    await submit('ada@example.com', 'long enough');
    expect(await screen.findByRole('alert')).toHaveTextContent('Sign-up is closed on this server.');
    expect(screen.getByTestId('location')).toHaveTextContent('/signup');
  });

  it('shows invite_invalid by the invite field', async () => {
    mockApi({
      'GET /auth/signup-policy': policy('invite'),
      'POST /auth/signup': apiError(403, 'invite_invalid', 'the invite is not valid: used, withdrawn or expired', 'invite'),
    });
    renderSignup('/signup?invite=stale');
    await submit('ada@example.com', 'long enough');
    await screen.findByText('The invite is not valid: used, withdrawn or expired');
    const invite = screen.getByLabelText('Invite code');
    expect(invite).toHaveAttribute('aria-invalid', 'true');
    expect(invite).toHaveAccessibleDescription(/The invite is not valid: used, withdrawn or expired$/);
    expect(screen.getByLabelText('E-mail')).not.toHaveAttribute('aria-invalid');
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('shows the invite field when the server wants an invite the policy did not announce', async () => {
    const { calls } = mockApi({
      'GET /auth/signup-policy': policy('open'),
      'POST /auth/signup': (call) =>
        (call.body as { invite?: string }).invite
          ? created
          : apiError(403, 'invite_required', 'sign-up needs an invite from an administrator', 'invite'),
    });
    renderSignup();
    await submit('ada@example.com', 'long enough');
    const invite = await screen.findByLabelText('Invite code');
    expect(invite).toHaveAccessibleDescription(/Sign-up needs an invite from an administrator$/);
    await userEvent.type(invite, 'late-code');
    await userEvent.click(screen.getByRole('button', { name: 'Sign up' }));
    await screen.findByTestId('login-state');
    expect(calls.filter((c) => c.method === 'POST').at(-1)?.body).toMatchObject({ invite: 'late-code' });
  });
});
