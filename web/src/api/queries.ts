import {
  keepPreviousData,
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
  type InfiniteData,
  type QueryClient,
} from '@tanstack/react-query';
import { apiRequest } from './client';
import type {
  AccessKey,
  AdminUser,
  AdminUserPage,
  DownloadLink,
  FilePage,
  Invite,
  InviteRequest,
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
  filePage: (params: FileListParams) => ['files', params] as const,
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

export interface FileListParams {
  limit: number;
  offset: number;
  sort: SortField;
  order: SortOrder;
}

export function useFilePage(params: FileListParams) {
  return useQuery({
    queryKey: queryKeys.filePage(params),
    queryFn: ({ signal }) => {
      const query = new URLSearchParams({
        limit: String(params.limit),
        offset: String(params.offset),
        sort: params.sort,
        order: params.order,
      });
      return apiRequest<FilePage>(`/files?${query}`, { signal });
    },
    refetchInterval: REFRESH_INTERVAL_MS,
    // Keep showing the current rows while another page or sort loads: no flicker.
    placeholderData: keepPreviousData,
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

/** Who the token belongs to now: admin rights may have been granted or taken back since login. */
export function useMe() {
  return useQuery({
    queryKey: queryKeys.me,
    queryFn: ({ signal }) => apiRequest<Me>('/auth/me', { signal }),
    staleTime: 60_000,
  });
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
