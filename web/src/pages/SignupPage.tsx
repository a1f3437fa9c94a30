import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { ApiError } from '../api/client';
import { useSignupPolicy } from '../api/queries';
import { useAuth } from '../auth/AuthContext';
import type { LoginRedirectState } from '../auth/RequireAuth';
import { Field } from '../components/Field';
import { emailProblem, MIN_PASSWORD_LENGTH, passwordProblem } from '../lib/validation';
import { useDocumentTitle } from '../lib/useDocumentTitle';

/** Strips the server's "field: " prefix, which the form shows by the field anyway. */
function fieldMessage(message: string, field: string): string {
  const prefix = `${field}: `;
  const text = message.startsWith(prefix) ? message.slice(prefix.length) : message;
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const CLOSED_MESSAGE =
  'Sign-up is closed on this server. Only administrators named in its settings can create an account.';

export function SignupPage() {
  useDocumentTitle('Sign up');
  const { signup } = useAuth();
  const navigate = useNavigate();
  const policy = useSignupPolicy();
  // An admin's invite link is /signup?invite=<code>.
  const [searchParams] = useSearchParams();
  const linkInvite = searchParams.get('invite')?.trim() ?? '';
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [invite, setInvite] = useState(linkInvite);
  const [emailError, setEmailError] = useState<string | null>(null);
  const [passwordError, setPasswordError] = useState<string | null>(null);
  const [inviteError, setInviteError] = useState<string | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // Also when the server asks for one although the policy said otherwise (or was not known).
  const [inviteAsked, setInviteAsked] = useState(false);
  const showInvite = policy.data === 'invite' || linkInvite !== '' || inviteAsked;

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const eProblem = emailProblem(email);
    const pProblem = passwordProblem(password);
    setEmailError(eProblem);
    setPasswordError(pProblem);
    setInviteError(null);
    setFormError(null);
    if (eProblem || pProblem) return;
    setBusy(true);
    try {
      const answer = await signup(email, password, showInvite ? invite : undefined);
      const state: LoginRedirectState = { signedUp: { email: answer.email, message: answer.message } };
      navigate('/login', { state });
    } catch (err) {
      setBusy(false);
      if (err instanceof ApiError && err.field === 'email') setEmailError(fieldMessage(err.message, 'email'));
      else if (err instanceof ApiError && err.field === 'password') setPasswordError(fieldMessage(err.message, 'password'));
      else if (err instanceof ApiError && (err.field === 'invite' || err.code === 'invite_required' || err.code === 'invite_invalid')) {
        setInviteAsked(true);
        setInviteError(fieldMessage(err.message, 'invite'));
      } else if (err instanceof ApiError && err.code === 'signup_closed') setFormError(CLOSED_MESSAGE);
      else setFormError(err instanceof Error ? err.message : 'Signing up failed.');
    }
  }

  return (
    <main className="auth-page" id="main">
      <div className="auth-card">
        <h1 className="brand-title">Tiergate</h1>
        <h2>Create an account</h2>
        {policy.data === 'closed' && (
          <p className="banner banner-info" role="status">
            {CLOSED_MESSAGE}
          </p>
        )}
        {formError && (
          <p className="banner banner-error" role="alert">
            {formError}
          </p>
        )}
        <form onSubmit={onSubmit} noValidate aria-label="Sign up">
          <Field
            label="E-mail"
            type="email"
            name="email"
            autoComplete="email"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            error={emailError}
            required
          />
          <Field
            label="Password"
            type="password"
            name="password"
            autoComplete="new-password"
            hint={`At least ${MIN_PASSWORD_LENGTH} characters.`}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            error={passwordError}
            required
            minLength={MIN_PASSWORD_LENGTH}
          />
          {showInvite && (
            <Field
              label="Invite code"
              type="text"
              name="invite"
              autoComplete="off"
              spellCheck={false}
              hint={
                policy.data === 'invite'
                  ? 'Sign-up here needs an invite from an administrator: open the link you were sent, or paste its code.'
                  : 'From the invite link you were sent.'
              }
              value={invite}
              onChange={(e) => setInvite(e.target.value)}
              error={inviteError}
            />
          )}
          <button type="submit" className="button button-primary button-wide" disabled={busy}>
            {busy ? 'Creating account…' : 'Sign up'}
          </button>
        </form>
        <p className="auth-switch">
          Already have an account? <Link to="/login">Log in</Link>
        </p>
      </div>
    </main>
  );
}
