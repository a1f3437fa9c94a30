import {
  keepPreviousData,
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
  type InfiniteData,
  type QueryClient,
} from '@tanstack/react-query';
import { ApiError, apiRequest } from './client';
import type {
  AccessKey,
  AdminUser,
  AdminUserPage,
  BucketSummary,
  DownloadLink,
  FilePage,
  FileRecord,
  Invite,
  InviteRequest,
  LifecycleConfiguration,
  Me,
  MyUsage,
  NewAccessKey,
  NewInvite,
  QuotaChange,
  SignupPolicy,
  SortField,
  SortOrder,
  TemporaryCredentials,
  TieringRun,
  TieringRunDetail,
  TieringSummary,
} from './types';

/** How often the file list and the tiering summary refresh themselves. */
export const REFRESH_INTERVAL_MS = 30_000;

export const queryKeys = {
  files: ['files'] as const,
  filePage: (params: FileListParams) => ['files', 'list', params] as const,
  file: (id: number) => ['files', 'file', id] as const,
  /** Under 'files' too: uploads, deletes and Refresh change what the buckets hold. */
  buckets: ['files', 'buckets'] as const,
  lifecycle: (bucket: string) => ['lifecycle', bucket] as const,
  keys: ['keys'] as const,
  credentials: ['credentials'] as const,
  tieringSummary: ['tiering', 'summary'] as const,
  tieringRuns: (limit: number, offset: number) => ['tiering', 'runs', limit, offset] as const,
  tieringRun: (id: number) => ['tiering', 'run', id] as const,
  /** Under 'files': whatever refreshes the file list (uploads, deletes, Refresh) refreshes it too. */
  usage: ['files', 'usage'] as const,
  me: ['me'] as const,
  signupPolicy: ['signup-policy'] as const,
  admin: ['admin'] as const,
  adminUsers: ['admin', 'users'] as const,
  adminInvites: ['admin', 'invites'] as const,
};

/** Users per page of the admin's user list. */
export const ADMIN_USERS_PER_PAGE = 100;

/** `GET /api/files`: what narrows the list, its order, and the page (by keyset cursor). */
export interface FileListParams {
  limit: number;
  sort: SortField;
  order: SortOrder;
  /** One of the caller's buckets; none is all of them. */
  bucket?: string;
  prefix?: string;
  /** With a bucket: browse by "folders" (e.g. "/"); the server then lists in key order. */
  delimiter?: string;
  /** Name or key contains, case-insensitive. */
  search?: string;
  /** The previous page's `next_cursor`; none for the first page. */
  cursor?: string;
}

/** The query string of a file listing: only what is set, in a fixed order. */
export function fileListQuery(params: FileListParams): string {
  const query = new URLSearchParams({ limit: String(params.limit), sort: params.sort, order: params.order });
  if (params.bucket) query.set('bucket', params.bucket);
  if (params.prefix) query.set('prefix', params.prefix);
  if (params.delimiter) query.set('delimiter', params.delimiter);
  if (params.search) query.set('search', params.search);
  if (params.cursor) query.set('cursor', params.cursor);
  return query.toString();
}

export function useFilePage(params: FileListParams) {
  return useQuery({
    queryKey: queryKeys.filePage(params),
    queryFn: ({ signal }) => apiRequest<FilePage>(`/files?${fileListQuery(params)}`, { signal }),
    refetchInterval: REFRESH_INTERVAL_MS,
    // Keep showing the current rows while another page or sort loads: no flicker.
    placeholderData: keepPreviousData,
  });
}

/** One file as it is now, with its tags (the details dialog). */
export function useFile(id: number) {
  return useQuery({
    queryKey: queryKeys.file(id),
    queryFn: ({ signal }) => apiRequest<FileRecord>(`/files/${id}`, { signal }),
  });
}

/** The caller's buckets with what each holds per tier and whether it has lifecycle rules. */
export function useBuckets() {
  return useQuery({
    queryKey: queryKeys.buckets,
    queryFn: async ({ signal }) => (await apiRequest<{ buckets: BucketSummary[] }>('/buckets', { signal })).buckets,
    refetchInterval: REFRESH_INTERVAL_MS,
  });
}

function lifecyclePath(bucket: string) {
  return `/buckets/${encodeURIComponent(bucket)}/lifecycle`;
}

/** A bucket's lifecycle configuration; `null` when it has none (404 `no_lifecycle_configuration`). */
export function useLifecycle(bucket: string) {
  return useQuery({
    queryKey: queryKeys.lifecycle(bucket),
    queryFn: async ({ signal }) => {
      try {
        return await apiRequest<LifecycleConfiguration>(lifecyclePath(bucket), { signal });
      } catch (err) {
        if (err instanceof ApiError && err.status === 404 && err.code === 'no_lifecycle_configuration') return null;
        throw err;
      }
    },
  });
}

/**
 * Stores a bucket's whole lifecycle configuration (PUT), or removes it (DELETE) when no rule is
 * left; the answer (rule IDs filled in) becomes the cached configuration.
 */
export function useSaveLifecycle(bucket: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (config: LifecycleConfiguration): Promise<LifecycleConfiguration | null> => {
      if (config.rules.length === 0) {
        await apiRequest<void>(lifecyclePath(bucket), { method: 'DELETE' });
        return null;
      }
      return apiRequest<LifecycleConfiguration>(lifecyclePath(bucket), { method: 'PUT', body: config });
    },
    onSuccess: (stored) => {
      queryClient.setQueryData(queryKeys.lifecycle(bucket), stored);
      void queryClient.invalidateQueries({ queryKey: queryKeys.buckets });
    },
  });
}

export function useDeleteFile() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => apiRequest<void>(`/files/${id}`, { method: 'DELETE' }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.files }),
  });
}

export function fetchDownloadLink(id: number) {
  return apiRequest<DownloadLink>(`/files/${id}/download?redirect=false`);
}

export function useCredentials() {
  return useQuery({
    queryKey: queryKeys.credentials,
    queryFn: () => apiRequest<TemporaryCredentials>('/credentials', { method: 'POST' }),
    staleTime: Infinity,
    refetchOnWindowFocus: false,
  });
}

export function useAccessKeys() {
  return useQuery({
    queryKey: queryKeys.keys,
    queryFn: async () => (await apiRequest<{ keys: AccessKey[] }>('/keys')).keys,
  });
}

export function useCreateKey() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (description: string) =>
      apiRequest<NewAccessKey>('/keys', { method: 'POST', body: description ? { description } : {} }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.keys }),
  });
}

export function useRevokeKey() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => apiRequest<void>(`/keys/${id}`, { method: 'DELETE' }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.keys }),
  });
}

export function useTieringSummary() {
  return useQuery({
    queryKey: queryKeys.tieringSummary,
    queryFn: () => apiRequest<TieringSummary>('/tiering/summary'),
    refetchInterval: REFRESH_INTERVAL_MS,
  });
}

export function useTieringRuns(limit: number, offset: number, enabled: boolean) {
  return useQuery({
    queryKey: queryKeys.tieringRuns(limit, offset),
    queryFn: () => apiRequest<{ runs: TieringRun[]; total: number }>(`/tiering/runs?limit=${limit}&offset=${offset}`),
    enabled,
    placeholderData: keepPreviousData,
    refetchInterval: (query) =>
      query.state.data?.runs.some((run) => run.status === 'running') ? 2000 : REFRESH_INTERVAL_MS,
  });
}

export function useTieringRun(id: number | null) {
  return useQuery({
    queryKey: queryKeys.tieringRun(id ?? 0),
    queryFn: () => apiRequest<TieringRunDetail>(`/tiering/runs/${id}`),
    enabled: id !== null,
    refetchInterval: (query) => (query.state.data?.status === 'running' ? 1000 : false),
  });
}

export function useStartTieringRun() {
  return useMutation({
    mutationFn: () => apiRequest<{ run_id: number }>('/tiering/run', { method: 'POST' }),
  });
}

/** How often the navbar asks who the user is now, besides on focus and on every page. */
export const ME_REFRESH_MS = 60_000;

/**
 * Who the token belongs to now: admin rights may have been granted or taken back since login.
 * Asked on every page, whenever the window gets the focus back, once a minute, and after the
 * API refused an admin route (see Layout).
 */
export function useMe() {
  return useQuery({
    queryKey: queryKeys.me,
    queryFn: ({ signal }) => apiRequest<Me>('/auth/me', { signal }),
    refetchOnWindowFocus: 'always',
    refetchInterval: ME_REFRESH_MS,
  });
}

/** The bucket browser uploads go to (`upload.default_bucket`), `files` until the server says. */
export function useDefaultBucket(): string {
  return useMe().data?.default_bucket ?? 'files';
}

export function useSignupPolicy() {
  return useQuery({
    queryKey: queryKeys.signupPolicy,
    queryFn: async ({ signal }) =>
      (await apiRequest<{ signup: SignupPolicy }>('/auth/signup-policy', { auth: false, signal })).signup,
    staleTime: Infinity,
    refetchOnWindowFocus: false,
  });
}

/** The caller's usage and quota, refreshed with the file list. */
export function useUsage() {
  return useQuery({
    queryKey: queryKeys.usage,
    queryFn: ({ signal }) => apiRequest<MyUsage>('/usage', { signal }),
    refetchInterval: REFRESH_INTERVAL_MS,
  });
}

export function useAdminUsers() {
  return useInfiniteQuery({
    queryKey: queryKeys.adminUsers,
    queryFn: ({ pageParam, signal }) => {
      const query = new URLSearchParams({ after: String(pageParam), limit: String(ADMIN_USERS_PER_PAGE) });
      return apiRequest<AdminUserPage>(`/admin/users?${query}`, { signal });
    },
    initialPageParam: 0,
    getNextPageParam: (last) => last.next_after ?? undefined,
  });
}

type UserPages = InfiniteData<AdminUserPage, number>;

/** Puts an action's answer (the user as they are now) into the loaded pages, without a refetch. */
function replaceUser(queryClient: QueryClient, user: AdminUser) {
  queryClient.setQueryData<UserPages>(queryKeys.adminUsers, (data) =>
    data && {
      ...data,
      pages: data.pages.map((page) => ({ ...page, users: page.users.map((u) => (u.id === user.id ? user : u)) })),
    },
  );
}

function removeUser(queryClient: QueryClient, id: number) {
  queryClient.setQueryData<UserPages>(queryKeys.adminUsers, (data) =>
    data && { ...data, pages: data.pages.map((page) => ({ ...page, users: page.users.filter((u) => u.id !== id) })) },
  );
}

export function useSetQuota() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, quota }: { id: number; quota: QuotaChange }) =>
      apiRequest<AdminUser>(`/admin/users/${id}/quota`, { method: 'PUT', body: quota }),
    onSuccess: (user) => {
      replaceUser(queryClient, user);
      void queryClient.invalidateQueries({ queryKey: queryKeys.usage });
    },
  });
}

export function useResetQuota() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => apiRequest<AdminUser>(`/admin/users/${id}/quota`, { method: 'DELETE' }),
    onSuccess: (user) => {
      replaceUser(queryClient, user);
      void queryClient.invalidateQueries({ queryKey: queryKeys.usage });
    },
  });
}

export function useSetDisabled() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, disabled }: { id: number; disabled: boolean }) =>
      apiRequest<AdminUser>(`/admin/users/${id}/${disabled ? 'disable' : 'enable'}`, { method: 'POST' }),
    onSuccess: (user) => replaceUser(queryClient, user),
  });
}

export function useSetAdmin() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, admin }: { id: number; admin: boolean }) =>
      apiRequest<AdminUser>(`/admin/users/${id}/admin`, { method: 'PUT', body: { admin } }),
    onSuccess: (user) => replaceUser(queryClient, user),
  });
}

export function useDeleteUser() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => apiRequest<void>(`/admin/users/${id}`, { method: 'DELETE' }),
    onSuccess: (_, id) => removeUser(queryClient, id),
  });
}

export function useInvites(enabled = true) {
  return useQuery({
    queryKey: queryKeys.adminInvites,
    queryFn: async ({ signal }) => (await apiRequest<{ invites: Invite[] }>('/admin/invites', { signal })).invites,
    enabled,
  });
}

export function useCreateInvite() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (invite: InviteRequest) => apiRequest<NewInvite>('/admin/invites', { method: 'POST', body: invite }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.adminInvites }),
  });
}

export function useWithdrawInvite() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => apiRequest<void>(`/admin/invites/${id}`, { method: 'DELETE' }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.adminInvites }),
  });
}
