import { describe, expect, it } from 'vitest';

import { formatBytes } from '../../src/engine/format-bytes.js';
import { storageKinds } from '../../src/engine/storage/archive-storage.js';
import { destructiveModes, keyedModes, syncModeTraits, syncModes } from '../../src/engine/types.js';
import { syncJobCreateSchema } from '../../src/jobs/job-input-schemas.js';
import { isUuid } from '../../src/store/uuid.js';

// One registry per vocabulary (issue 14): the derived lists follow the table they come from.
describe('vocabularies', () => {
  it('derives the mode lists from the mode traits', () => {
    expect(syncModes).toEqual(['full', 'append', 'upsert', 'incremental', 'mirror']);
    expect([...keyedModes]).toEqual(syncModes.filter((mode) => syncModeTraits[mode].keyed));
    expect([...destructiveModes].sort()).toEqual(['full', 'mirror']);
    // The API schema accepts exactly the registry's modes.
    const base = { name: 'j', source_connection_id: '00000000-0000-4000-8000-000000000001', destination_connection_id: '00000000-0000-4000-8000-000000000002' };
    const withCursor = { ...base, table_options: { '*': { cursor_column: 'updated_at' } } };
    for (const mode of syncModes) expect(syncJobCreateSchema.safeParse({ ...withCursor, default_mode: mode }).success, mode).toBe(true);
    expect(syncJobCreateSchema.safeParse({ ...withCursor, default_mode: 'merge' }).success).toBe(false);
  });

  it('formats bytes in one unit system (IEC, powers of 1024)', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1024)).toBe('1.0 KiB');
    expect(formatBytes(78_600_000_000)).toBe('73.2 GiB');
    expect(formatBytes(null)).toBe('unknown');
  });

  it('knows the storage kinds and what a store id looks like', () => {
    expect(storageKinds).toEqual(['local', 's3']);
    expect(isUuid('8c1f1a4e-2b4d-4c1e-9f00-0a1b2c3d4e5f')).toBe(true);
    expect(isUuid('8c1f1a4e-2b4d-4c1e-9f00-0a1b2c3d4e5')).toBe(false);
    expect(isUuid('------------------------------------')).toBe(false);
  });
});
