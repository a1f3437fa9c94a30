import type { ReactElement } from 'react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import { MemoryRouter, Route, Routes, useLocation } from 'react-router';
import { vi } from 'vitest';
import { AuthProvider } from '../auth/AuthContext';
import { RequireAuth } from '../auth/RequireAuth';
import { startSession, type Session } from '../auth/session';

export const USER: Session = {
  token: 'token-123',
  userId: 7,
  email: 'ada@example.com',
  isAdmin: false,
  expiresAt: Date.now() + 3_600_000,
};

export function signIn(overrides: Partial<Session> = {}): Session {
  const session = { ...USER, expiresAt: Date.now() + 3_600_000, ...overrides };
  startSession(session);
  return session;
}

export interface RecordedCall {
  method: string;
  path: string;
  body: unknown;
  headers: Record<string, string>;
}

type Reply = { status?: number; body?: unknown } | ((call: RecordedCall) => { status?: number; body?: unknown });

/**
 * Replaces fetch with a table of answers keyed by "METHOD /path?query" (the /api prefix left off).
 * A key without a query also matches calls with one. Unknown calls answer 404 like the server.
 */
export function mockApi(routes: Record<string, Reply>) {
  const calls: RecordedCall[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input), 'http://localhost');
    const method = (init?.method ?? 'GET').toUpperCase();
    const pathWithQuery = url.pathname.replace(/^\/api/, '') + url.search;
    const path = url.pathname.replace(/^\/api/, '');
    const headers = (init?.headers ?? {}) as Record<string, string>;
    const call: RecordedCall = {
      method,
      path: pathWithQuery,
      body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined,
      headers,
    };
    calls.push(call);
    const reply = routes[`${method} ${pathWithQuery}`] ?? routes[`${method} ${path}`];
    const answer = reply === undefined
      ? { status: 404, body: { error: { code: 'not_found', message: 'route not found' } } }
      : typeof reply === 'function'
        ? reply(call)
        : reply;
    const status = answer.status ?? 200;
    const text = answer.body === undefined ? '' : JSON.stringify(answer.body);
    return new Response(status === 204 ? null : text, { status, headers: { 'Content-Type': 'application/json' } });
  });
  vi.stubGlobal('fetch', fetchMock);
  return { calls, fetchMock };
}

export function apiError(status: number, code: string, message: string, field?: string) {
  return { status, body: { error: { code, message, ...(field ? { field } : {}) } } };
}

/** Shows where the router is, so tests can assert on redirects. */
function LocationProbe() {
  const location = useLocation();
  return <output data-testid="location">{location.pathname}</output>;
}

export function renderApp(
  ui: ReactElement,
  { route = '/', path = '/', protectedRoute = false }: { route?: string; path?: string; protectedRoute?: boolean } = {},
) {
  const queryClient = new QueryClient({
    defaultOptions: { queries: { retry: false, gcTime: Infinity }, mutations: { retry: false } },
  });
  const element = protectedRoute ? <RequireAuth>{ui}</RequireAuth> : ui;
  const result = render(
    <QueryClientProvider client={queryClient}>
      <MemoryRouter initialEntries={[route]}>
        <AuthProvider>
          <Routes>
            <Route path={path} element={element} />
            {path !== '/login' && <Route path="/login" element={<LoginStub />} />}
            <Route path="*" element={<p>elsewhere</p>} />
          </Routes>
          <LocationProbe />
        </AuthProvider>
      </MemoryRouter>
    </QueryClientProvider>,
  );
  return { ...result, queryClient };
}

function LoginStub() {
  const location = useLocation();
  return <pre data-testid="login-state">{JSON.stringify(location.state ?? null)}</pre>;
}

export function fileRecord(overrides: Partial<import('../api/types').FileRecord> = {}): import('../api/types').FileRecord {
  const id = overrides.id ?? 1;
  return {
    id,
    filename: `0000-${overrides.original_filename ?? 'report.pdf'}`,
    original_filename: 'report.pdf',
    file_size: 1536,
    content_type: 'application/pdf',
    storage_location: 'minio',
    tier: 'hot' as const,
    bucket: 'files',
    etag: 'abc',
    access_url: `http://localhost/api/files/${id}/download`,
    uploaded_at: '2026-11-20T10:00:00Z',
    synced_at: null,
    tags: {},
    ...overrides,
  };
}
