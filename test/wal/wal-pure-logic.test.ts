import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { formatLsn, parseLsn, parseSegmentName, parseSegmentSize, segmentName } from '../../src/engine/wal/lsn.js';
import { parseServerMessage, standbyStatusUpdate } from '../../src/engine/wal/replication-messages.js';
import { parseTimelineHistory, timelineOfPosition, walSlotName } from '../../src/engine/wal/replication-session.js';
import { recoveryLines, shellWord, walFetchCommand, writeRecoverySettings } from '../../src/engine/wal/recovery-settings.js';
import { isWalFileName } from '../../src/engine/wal/wal-layout.js';
import { findServerBinaries } from '../../src/engine/wal/server-binaries.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('WAL positions and names', () => {
  it('round-trips LSNs and names segments as the server does, for 16 MB and 64 MB segments', () => {
    expect(formatLsn(parseLsn('16/B374D848'))).toBe('16/B374D848');
    expect(() => parseLsn('16-B3')).toThrow(/not a WAL position/);
    const mb16 = 16 * 1024 * 1024;
    expect(segmentName(1, parseLsn('16/B374D848') / BigInt(mb16), mb16)).toBe('0000000100000016000000B3');
    expect(parseSegmentName('0000000100000016000000B3', mb16)).toEqual({ timeline: 1, segment: 0x16n * 256n + 0xb3n });
    expect(segmentName(2, 0x16n * 64n + 5n, 64 * 1024 * 1024)).toBe('000000020000001600000005');
    expect(parseSegmentSize('16MB')).toBe(mb16);
    expect(parseSegmentSize('1GB')).toBe(1024 ** 3);
    expect(() => parseSegmentSize('3MB')).toThrow(/power of two/);
  });

  it('accepts only the file names PostgreSQL hands to archive and restore commands', () => {
    for (const name of ['000000010000000000000003', '00000002.history', '000000010000000000000003.partial', '000000010000000000000003.00000028.backup']) expect(isWalFileName(name)).toBe(true);
    for (const name of ['../000000010000000000000003', '00000001000000000000003', 'RECOVERYHISTORY', '00000002.history/..']) expect(isWalFileName(name)).toBe(false);
  });

  it('reads timeline history and places a position on its timeline', () => {
    const history = parseTimelineHistory('1\t0/3000060\tno recovery target specified\n\n2\t0/5000000\tbefore 2026-12-04\n');
    expect(history).toEqual([
      { timeline: 1, switchpoint: parseLsn('0/3000060') },
      { timeline: 2, switchpoint: parseLsn('0/5000000') },
    ]);
    expect(timelineOfPosition(parseLsn('0/3000000'), 3, history)).toBe(1);
    expect(timelineOfPosition(parseLsn('0/3000060'), 3, history)).toBe(2);
    expect(timelineOfPosition(parseLsn('0/6000000'), 3, history)).toBe(3);
  });

  it('derives a valid slot name from a protection id', () => {
    expect(walSlotName('7F3A-11ee-9c1d')).toBe('pgferry_wal_7f3a11ee9c1d');
  });
});

describe('replication messages', () => {
  it('parses XLogData and keepalives, and builds a status update whose flush position is the uploaded one', () => {
    const data = Buffer.alloc(25 + 3);
    data[0] = 0x77;
    data.writeBigUInt64BE(0x3000000n, 1);
    data.writeBigUInt64BE(0x3000100n, 9);
    data.writeBigInt64BE(1_000_000n, 17);
    data.write('abc', 25);
    expect(parseServerMessage(data)).toMatchObject({ kind: 'data', start: 0x3000000n, walEnd: 0x3000100n, sentAt: new Date('2000-01-01T00:00:01Z'), bytes: Buffer.from('abc') });
    const keepalive = Buffer.alloc(18);
    keepalive[0] = 0x6b;
    keepalive[17] = 1;
    expect(parseServerMessage(keepalive)).toMatchObject({ kind: 'keepalive', replyRequested: true });
    expect(() => parseServerMessage(Buffer.from('x'))).toThrow(/unexpected replication message/);
    const update = standbyStatusUpdate(0x5000000n, 0x4000000n);
    expect([update[0], update.readBigUInt64BE(1), update.readBigUInt64BE(9), update.length]).toEqual([0x72, 0x5000000n, 0x4000000n, 34]);
  });
});

describe('recovery settings', () => {
  it('builds the restore_command with every word shell-quoted but %f and %p, and refuses a quote', () => {
    expect(walFetchCommand(['/usr/bin/node', '/opt/pgferry/bin/pgferry.js'], 'night shelf', { systemId: '7301', encryptionKeyEnv: 'WAL_KEY' })).toBe(
      "/usr/bin/node /opt/pgferry/bin/pgferry.js wal fetch %f %p --storage 'night shelf' --system-id 7301 --encryption-key-env WAL_KEY",
    );
    expect(walFetchCommand(['node', 'p.js'], 's3://b/wal')).toBe('node p.js wal fetch %f %p --storage s3://b/wal');
    expect(() => walFetchCommand(['node', 'p.js'], "it's")).toThrow(/quote or backslash/);
  });

  it('writes a target per kind, offsets instead of Z, and refuses targets before the backup started', async () => {
    expect(recoveryLines({ target: { time: '2026-12-04T09:30:00.123456Z' }, restoreCommand: 'x %f %p' })).toContain("recovery_target_time = '2026-12-04 09:30:00.123456+00'");
    expect(recoveryLines({ target: { lsn: '0/3000060' }, restoreCommand: 'x', action: 'pause' })).toEqual(expect.arrayContaining(["recovery_target_lsn = '0/3000060'", "recovery_target_action = 'pause'"]));
    expect(recoveryLines({ target: 'latest', restoreCommand: "it's" })[0]).toBe("restore_command = 'it''s'");
    expect(() => recoveryLines({ target: { time: 'yesterday' }, restoreCommand: 'x' })).toThrow(/not a date and time/);
    expect(shellWord('/a b/pgferry')).toBe("'/a b/pgferry'");
    expect(() => shellWord("/it's")).toThrow(/quote or backslash/);

    const dir = await mkdtemp(path.join(os.tmpdir(), 'pgferry-recovery-'));
    dirs.push(dir);
    await writeFile(path.join(dir, 'backup_label'), 'START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\nSTART TIME: 2026-12-04 09:30:10 UTC\n');
    await expect(writeRecoverySettings(dir, { target: { time: '2026-12-04 09:00:00+00' }, restoreCommand: 'x' })).rejects.toMatchObject({ code: 'PGF_RECOVERY_FAILED', message: expect.stringContaining('before the base backup') });
    await expect(writeRecoverySettings(dir, { target: { lsn: '0/1000000' }, restoreCommand: 'x' })).rejects.toMatchObject({ code: 'PGF_RECOVERY_FAILED' });
    await writeRecoverySettings(dir, { target: { time: '2026-12-04 09:45:00+00' }, restoreCommand: 'x %f %p' });
    expect(await readFile(path.join(dir, 'postgresql.auto.conf'), 'utf8')).toContain("recovery_target_time = '2026-12-04 09:45:00+00'");
    expect(await readFile(path.join(dir, 'recovery.signal'), 'utf8')).toBe('');
  });
});

describe('server binaries for a restored directory', () => {
  it('refuses binaries of another major, naming the one the backup needs', async () => {
    const pg13 = (await import('embedded-pg13')) as { pg_ctl: string; postgres: string };
    await expect(findServerBinaries(17, { pg_ctl: pg13.pg_ctl, postgres: pg13.postgres })).rejects.toMatchObject({
      code: 'PGF_PG_BINARIES_NOT_FOUND',
      message: expect.stringMatching(/made by PostgreSQL 17.*are PostgreSQL 13/),
    });
    expect(await findServerBinaries(13, { pg_ctl: pg13.pg_ctl, postgres: pg13.postgres })).toEqual({ pg_ctl: pg13.pg_ctl, postgres: pg13.postgres });
  });
});
