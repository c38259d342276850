import type { RecoverySettings } from '../../engine/wal/recovery-settings.js';
import { PgferryError } from '../../errors/pgferry-error.js';

/** The options of `pgferry restore`, as commander parses them. */
export interface RestoreFlags {
  to?: string;
  toDir?: string;
  tablespaceMap?: string[];
  clean?: boolean;
  create?: boolean;
  jobs: number;
  tables?: string[];
  yes?: boolean;
  encryptionKeyEnv?: string;
  verify: boolean;
  trustUnsigned?: boolean;
  json?: boolean;
  targetTime?: string;
  targetLsn?: string;
  targetName?: string;
  latest?: boolean;
  targetAction: string;
  walStorage?: string;
  start?: boolean;
  port?: number;
}

export type Target = RecoverySettings['target'];

/** The one recovery target the flags name, if any. */
export function recoveryTarget(flags: RestoreFlags): Target | undefined {
  const given: Target[] = [];
  if (flags.targetTime !== undefined) given.push({ time: flags.targetTime });
  if (flags.targetLsn !== undefined) given.push({ lsn: flags.targetLsn });
  if (flags.targetName !== undefined) given.push({ name: flags.targetName });
  if (flags.latest) given.push('latest');
  if (given.length > 1) throw new PgferryError('PGF_VALIDATION_FAILED', '--target-time, --target-lsn, --target-name and --latest exclude each other: give one');
  return given[0];
}
