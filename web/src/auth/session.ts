/**
 * The signed-in session, kept in localStorage so a reload keeps the user logged in.
 * A tiny external store: the API client ends the session on any 401 (or a 403 saying the
 * account is disabled), and React components follow it through `useSyncExternalStore`
 * (see AuthContext).
 */

export interface Session {
  token: string;
  userId: number;
  email: string;
  isAdmin: boolean;
  /** Epoch milliseconds after which the token is no longer accepted. */
  expiresAt: number;
}

/** Why the last session ended; the login page explains it. */
export type EndReason = 'logout' | 'expired' | 'disabled';

export interface SessionState {
  session: Session | null;
  endReason: EndReason | null;
}

const STORAGE_KEY = 'tiergate.session';

function isSession(value: unknown): value is Session {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.token === 'string' &&
    typeof v.userId === 'number' &&
    typeof v.email === 'string' &&
    typeof v.isAdmin === 'boolean' &&
    typeof v.expiresAt === 'number'
  );
}

function load(): SessionState {
  try {
    const raw = localStorage.getItem(STORAGE_KEY);
    if (!raw) return { session: null, endReason: null };
    const parsed: unknown = JSON.parse(raw);
    if (!isSession(parsed)) return { session: null, endReason: null };
    if (parsed.expiresAt <= Date.now()) {
      localStorage.removeItem(STORAGE_KEY);
      return { session: null, endReason: 'expired' };
    }
    return { session: parsed, endReason: null };
  } catch {
    return { session: null, endReason: null };
  }
}

let state: SessionState = load();
const listeners = new Set<() => void>();

function emit(next: SessionState) {
  state = next;
  listeners.forEach((listener) => listener());
}

export function getSessionState(): SessionState {
  return state;
}

export function subscribeSession(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function startSession(session: Session) {
  localStorage.setItem(STORAGE_KEY, JSON.stringify(session));
  emit({ session, endReason: null });
}

/** Changes the signed-in session in place (e.g. admin rights granted since login); no-op when signed out. */
export function updateSession(change: Partial<Omit<Session, 'token'>>) {
  const current = state.session;
  if (!current) return;
  const next = { ...current, ...change };
  if ((Object.keys(change) as (keyof Session)[]).every((key) => current[key] === next[key])) return;
  localStorage.setItem(STORAGE_KEY, JSON.stringify(next));
  emit({ session: next, endReason: null });
}

export function endSession(reason: EndReason) {
  localStorage.removeItem(STORAGE_KEY);
  if (state.session === null && state.endReason === reason) return;
  emit({ session: null, endReason: reason });
}

/** Re-reads localStorage; tests use it to start from a known state. */
export function reloadSession() {
  emit(load());
}
