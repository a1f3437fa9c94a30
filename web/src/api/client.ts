import { endSession, getSessionState } from '../auth/session';

/** An error answer of the API: `{"error": {"code", "message", "field"?}}` with its status. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | undefined;

  constructor(status: number, code: string, message: string, field?: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

/** Turns an error body (or none) into an ApiError; a body that isn't ours still gives a message. */
export function parseApiError(status: number, bodyText: string): ApiError {
  try {
    const body = JSON.parse(bodyText) as { error?: { code?: unknown; message?: unknown; field?: unknown } };
    const err = body.error;
    if (err && typeof err.message === 'string') {
      return new ApiError(
        status,
        typeof err.code === 'string' ? err.code : 'error',
        err.message,
        typeof err.field === 'string' ? err.field : undefined,
      );
    }
  } catch {
    // not JSON: fall through to a generic message
  }
  if (status === 0) return new ApiError(0, 'network_error', 'The server could not be reached. Check your connection and try again.');
  return new ApiError(status, 'http_error', `The server answered ${status}.`);
}

/**
 * A 401 on a request that carried our token means the token is no longer valid, and a 403
 * `account_disabled` that an admin disabled the account: either way end the session so the
 * router sends the user to the login page with a note saying why.
 */
export function handleUnauthorized(error: ApiError, sentToken: boolean) {
  if (!sentToken) return;
  if (error.status === 401) endSession('expired');
  else if (error.status === 403 && error.code === 'account_disabled') endSession('disabled');
}

/** Routes only admins may use: a 403 there means the user's rights are not what the session says. */
const ADMIN_ROUTES = /^\/(admin\/|tiering\/runs?\b)/;

const adminRefusalListeners = new Set<() => void>();

/**
 * Calls `listener` whenever the API refuses an admin route to our token (403 `forbidden`):
 * admin rights were taken back since the session learnt them. Returns the unsubscribe.
 */
export function onAdminRefused(listener: () => void): () => void {
  adminRefusalListeners.add(listener);
  return () => {
    adminRefusalListeners.delete(listener);
  };
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'DELETE' | 'PUT' | 'PATCH';
  body?: unknown;
  /** Send the session's token (default true). */
  auth?: boolean;
  signal?: AbortSignal;
}

/** Calls the REST API under /api and returns its JSON (or undefined for 204). */
export async function apiRequest<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const { method = 'GET', body, auth = true, signal } = options;
  const headers: Record<string, string> = { Accept: 'application/json' };
  const token = auth ? getSessionState().session?.token : undefined;
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';

  let response: Response;
  try {
    response = await fetch(`/api${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  } catch (cause) {
    if (cause instanceof DOMException && cause.name === 'AbortError') throw cause;
    throw parseApiError(0, '');
  }

  if (!response.ok) {
    const error = parseApiError(response.status, await response.text());
    handleUnauthorized(error, Boolean(token));
    if (token && error.status === 403 && error.code === 'forbidden' && ADMIN_ROUTES.test(path)) {
      adminRefusalListeners.forEach((listener) => listener());
    }
    throw error;
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}
