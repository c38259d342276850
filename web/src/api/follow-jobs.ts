import { useQuery } from '@tanstack/react-query';

import type { ApiAnswer, ApiBody } from './api-schema.js';
import { resourceHooks, resourceKeys, useItemAction } from './crud.js';
import { api } from './http.js';

/** A continuous-sync job as the API answers it, and what creating one takes (generated from the OpenAPI document). */
export type FollowJob = ApiAnswer<'/api/v1/follow-jobs/{id}', 'get'>;
export type FollowJobInput = ApiBody<'/api/v1/follow-jobs', 'post'>;
export type FollowProgress = ApiAnswer<'/api/v1/follow-jobs/{id}/status', 'get'>;
export type CutoverReport = ApiAnswer<'/api/v1/follow-jobs/{id}/cutover', 'post'>;

const base = '/api/v1/follow-jobs';
export const followJobKeys = resourceKeys('follow-jobs');
export const { useList: useFollowJobs, useSave: useSaveFollowJob } = resourceHooks<FollowJob, FollowJobInput>(base, followJobKeys);

/** The job with the figures its follower stored (every 5 s), read again as often. */
export function useFollowJob(id: string | undefined, intervalMs = 5000) {
  return useQuery({
    queryKey: followJobKeys.detail(id ?? ''),
    queryFn: ({ signal }) => api<FollowJob>(`${base}/${encodeURIComponent(id ?? '')}`, { signal }),
    enabled: Boolean(id),
    refetchInterval: intervalMs,
  });
}

/** Lag and positions measured now on both servers, every `intervalMs` while the page is open. */
export function useFollowStatus(id: string | undefined, intervalMs = 2000) {
  return useQuery({
    queryKey: followJobKeys.sub(id ?? '', 'status'),
    queryFn: ({ signal }) => api<FollowProgress>(`${base}/${encodeURIComponent(id ?? '')}/status`, { signal }),
    enabled: Boolean(id),
    refetchInterval: intervalMs,
    retry: false,
  });
}

export function useFollowJobActions() {
  const invalidate = [[...followJobKeys.all]];
  return {
    pause: useItemAction<FollowJob>(base, 'pause', invalidate),
    resume: useItemAction<FollowJob>(base, 'resume', invalidate),
    drop: useItemAction(base, 'drop', invalidate),
    cutover: useItemAction<CutoverReport, { timeout_s?: number }>(base, 'cutover', invalidate),
  };
}
