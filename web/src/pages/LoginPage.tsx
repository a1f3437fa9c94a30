import { useState, type FormEvent } from 'react';
import { Link, Navigate, useLocation, useNavigate } from 'react-router';
import { ApiError } from '../api/client';
import { useAuth } from '../auth/AuthContext';
import type { LoginRedirectState } from '../auth/RequireAuth';
import { Field } from '../components/Field';
import { emailProblem } from '../lib/validation';
import { useDocumentTitle } from '../lib/useDocumentTitle';

const DISABLED_MESSAGE = 'This account is disabled. Ask an administrator to enable it again.';

export function LoginPage() {
  useDocumentTitle('Log in');
  const { session, login } = useAuth();
  const location = useLocation();
  const navigate = useNavigate();
  const state = (location.state ?? {}) as LoginRedirectState;

  const [email, setEmail] = useState(state.signedUp?.email ?? '');
  const [password, setPassword] = useState('');
  const [emailError, setEmailError] = useState<string | null>(null);
  const [passwordError, setPasswordError] = useState<string | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  if (session && !busy) return <Navigate to={state.from ?? '/'} replace />;

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const eProblem = emailProblem(email);
    const pProblem = password ? null : 'Enter your password.';
    setEmailError(eProblem);
    setPasswordError(pProblem);
    setFormError(null);
    if (eProblem || pProblem) return;
    setBusy(true);
    try {
      await login(email, password);
      navigate(state.from && state.from !== '/login' ? state.from : '/', { replace: true });
    } catch (err) {
      setBusy(false);
      if (err instanceof ApiError && err.status === 401) {
        setFormError('Wrong e-mail or password. Check both and try again.');
      } else if (err instanceof ApiError && err.code === 'account_disabled') {
        setFormError(DISABLED_MESSAGE);
      } else {
        setFormError(err instanceof Error ? err.message : 'Logging in failed.');
      }
    }
  }

  const notice = state.signedUp
    ? `Your account was created. Log in as ${state.signedUp.email}.`
    : state.reason === 'expired'
      ? 'Your session has expired. Please log in again.'
      : state.reason === 'disabled'
        ? `You were logged out. ${DISABLED_MESSAGE}`
        : null;
  const noticeClass = state.signedUp
    ? 'banner banner-success'
    : state.reason === 'disabled'
      ? 'banner banner-warning'
      : 'banner banner-info';

  return (
    <main className="auth-page" id="main">
      <div className="auth-card">
        <h1 className="brand-title">Tiergate</h1>
        <h2>Log in</h2>
        {notice && (
          <p className={noticeClass} role="status">
            {notice}
          </p>
        )}
        {formError && (
          <p className="banner banner-error" role="alert">
            {formError}
          </p>
        )}
        <form onSubmit={onSubmit} noValidate aria-label="Log in">
          <Field
            label="E-mail"
            type="email"
            name="email"
            autoComplete="username"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            error={emailError}
            required
          />
          <Field
            label="Password"
            type="password"
            name="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            error={passwordError}
            required
          />
          <button type="submit" className="button button-primary button-wide" disabled={busy}>
            {busy ? 'Logging in…' : 'Log in'}
          </button>
        </form>
        <p className="auth-switch">
          No account yet? <Link to="/signup">Sign up</Link>
        </p>
      </div>
    </main>
  );
}
