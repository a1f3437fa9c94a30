import { createContext, useCallback, useContext, useMemo, useSyncExternalStore, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { apiRequest } from '../api/client';
import type { LoginResponse, SignupResponse } from '../api/types';
import { endSession, getSessionState, startSession, subscribeSession, type EndReason, type Session } from './session';

export interface AuthValue {
  session: Session | null;
  /** Why the previous session ended, when there is none now. */
  endReason: EndReason | null;
  login: (email: string, password: string) => Promise<Session>;
  /** `invite`: the code from an admin's invite link, sent when there is one. */
  signup: (email: string, password: string, invite?: string) => Promise<SignupResponse>;
  logout: () => void;
}

const AuthContext = createContext<AuthValue | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const state = useSyncExternalStore(subscribeSession, getSessionState, getSessionState);
  const queryClient = useQueryClient();

  const login = useCallback(async (email: string, password: string) => {
    const answer = await apiRequest<LoginResponse>('/auth/login', {
      method: 'POST',
      body: { email: email.trim(), password },
      auth: false,
    });
    const session: Session = {
      token: answer.access_token,
      userId: answer.user_id,
      email: answer.email,
      isAdmin: answer.is_admin,
      expiresAt: Date.now() + answer.expires_in * 1000,
    };
    queryClient.clear();
    startSession(session);
    return session;
  }, [queryClient]);

  const signup = useCallback((email: string, password: string, invite?: string) => {
    const code = invite?.trim();
    return apiRequest<SignupResponse>('/auth/signup', {
      method: 'POST',
      body: code ? { email: email.trim(), password, invite: code } : { email: email.trim(), password },
      auth: false,
    });
  }, []);

  const logout = useCallback(() => {
    endSession('logout');
    queryClient.clear();
  }, [queryClient]);

  const value = useMemo<AuthValue>(
    () => ({ session: state.session, endReason: state.endReason, login, signup, logout }),
    [state, login, signup, logout],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthValue {
  const value = useContext(AuthContext);
  if (!value) throw new Error('useAuth must be used inside <AuthProvider>');
  return value;
}

/** The signed-in session; only for components under <RequireAuth>. */
export function useSession(): Session {
  const { session } = useAuth();
  if (!session) throw new Error('useSession needs a signed-in user');
  return session;
}
