import { useEffect, useState } from 'react';

import type { FollowProgress } from '../../api/follow-jobs.js';

export interface LagPoint {
  time: string;
  lagSeconds: number;
  lagMiB: number;
  changesPerSecond: number;
}

/** The last `size` measurements of a page visit, for the live chart (the server keeps no history). */
export function useLagHistory(progress: FollowProgress | undefined, size = 150): LagPoint[] {
  const [points, setPoints] = useState<LagPoint[]>([]);
  useEffect(() => {
    if (!progress?.measured_at) return;
    const point = {
      time: new Date(progress.measured_at).toLocaleTimeString(),
      lagSeconds: progress.lag_seconds ?? 0,
      lagMiB: Math.round(((progress.lag_bytes ?? 0) / 1048576) * 100) / 100,
      changesPerSecond: Math.round(progress.changes_per_second * 10) / 10,
    };
    setPoints((previous) => [...previous, point].slice(-size));
  }, [progress, size]);
  return points;
}
