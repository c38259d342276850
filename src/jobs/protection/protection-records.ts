import type { WalStreamProgress } from '../../engine/wal/wal-streamer.js';

/** The figures a protection stores every few seconds (connection_protection.progress), snake_case like the API. */
export interface ProtectionFigures {
  lagBytes: number | null;
  lagSeconds: number | null;
  retainedBytes: number | null;
}

export function protectionProgressRecord(progress: WalStreamProgress, retainedBytes: number | null): Record<string, unknown> {
  return {
    system_id: progress.systemId,
    timeline: progress.timeline,
    received_lsn: progress.receivedLsn,
    uploaded_lsn: progress.uploadedLsn,
    server_lsn: progress.serverLsn,
    lag_bytes: progress.lagBytes,
    lag_seconds: Math.round(progress.lagSeconds * 10) / 10,
    retained_bytes: retainedBytes,
    segments_uploaded: progress.segmentsUploaded,
  };
}
