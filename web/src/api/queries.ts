import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { apiRequest } from './client';
import type {
  AccessKey,
  DownloadLink,
  FilePage,
  NewAccessKey,
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
};

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
