import type { ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';
import { useAuth } from './AuthContext';

export interface LoginRedirectState {
  from?: string;
  reason?: 'expired' | 'disabled';
  /** Set by the sign-up page: the account exists now. */
  signedUp?: { email: string; message: string };
}

/** Renders its children for a signed-in user; otherwise sends them to the login page. */
export function RequireAuth({ children }: { children: ReactNode }) {
  const { session, endReason } = useAuth();
  const location = useLocation();
  if (!session) {
    const state: LoginRedirectState = {
      from: location.pathname + location.search,
      reason: endReason === 'expired' || endReason === 'disabled' ? endReason : undefined,
    };
    return <Navigate to="/login" replace state={state} />;
  }
  return <>{children}</>;
}
