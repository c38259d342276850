import { useEffect, useState } from 'react';

import type { FollowProgress } from '../../api/follow-jobs.js';

export interface LagPoint {
  time: string;
  lagSeconds: number;
  lagMiB: number;
  changesPerSecond: number;
}

/** The last `size` measurements of a page visit, for the live chart (the server keeps no history). */
/** `changesPerSecond`: the follower's rate as it last stored it (a live measurement has none). */
export function useLagHistory(progress: FollowProgress | undefined, changesPerSecond: number, size = 150): LagPoint[] {
  const [points, setPoints] = useState<LagPoint[]>([]);
  useEffect(() => {
    if (!progress?.measured_at) return;
    const point = {
      time: new Date(progress.measured_at).toLocaleTimeString(),
      lagSeconds: progress.lag_seconds ?? 0,
      lagMiB: Math.round(((progress.lag_bytes ?? 0) / 1048576) * 100) / 100,
      changesPerSecond: Math.round(changesPerSecond * 10) / 10,
    };
    setPoints((previous) => [...previous, point].slice(-size));
    // One point per live measurement; the stored rate changes less often and rides along.
  }, [progress, size]);
  return points;
}
