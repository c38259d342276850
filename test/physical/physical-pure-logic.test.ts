import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

import { describe, expect, it } from 'vitest';

import { baseBackupCommand } from '../../src/engine/physical/base-backup-protocol.js';
import { compareWithServerManifest, parseServerManifest } from '../../src/engine/physical/server-manifest.js';
import { type ScannedFile, TarScanner, parseTarHeader } from '../../src/engine/physical/tar-scanner.js';

/** A manifest as PostgreSQL writes it: one entry per line, the checksum over everything before its own line. */
function serverManifest(files: { path: string; size: number; sha256: string }[]): Buffer {
  const lines = files.map((f) => `{ "Path": "${f.path}", "Size": ${f.size}, "Last-Modified": "2026-12-04 09:00:00 GMT", "Checksum-Algorithm": "SHA256", "Checksum": "${f.sha256}" }`);
  const body = `{ "PostgreSQL-Backup-Manifest-Version": 1,\n"Files": [\n${lines.join(',\n')} ],\n"WAL-Ranges": [\n{ "Timeline": 1, "Start-LSN": "0/2000028", "End-LSN": "0/2000100" }\n],\n`;
  const checksum = createHash('sha256').update(body).digest('hex');
  return Buffer.from(`${body}"Manifest-Checksum": "${checksum}"}\n`);
}

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

describe('BASE_BACKUP command per server version', () => {
  it('uses the option list on 15+ and the keyword form on 13/14, with the label quoted as a literal', () => {
    expect(baseBackupCommand(170002, { label: "it's", includeWal: true })).toBe(
      "BASE_BACKUP (LABEL 'it''s', CHECKPOINT 'fast', WAL true, WAIT false, MANIFEST 'yes', MANIFEST_CHECKSUMS 'SHA256')",
    );
    expect(baseBackupCommand(150000, { label: 'x', includeWal: false })).toContain('WAL false');
    expect(baseBackupCommand(130016, { label: 'x', includeWal: true })).toBe("BASE_BACKUP LABEL 'x' FAST WAL NOWAIT MANIFEST 'yes' MANIFEST_CHECKSUMS 'SHA256'");
    expect(baseBackupCommand(140000, { label: 'x', includeWal: false })).not.toContain(' WAL ');
  });
});

describe('server backup_manifest', () => {
  const files = [
    { path: 'PG_VERSION', size: 3, sha256: sha('17\n') },
    { path: 'base/1/1259', size: 5, sha256: sha('hello') },
  ];

  it('parses a manifest whose own checksum holds, and refuses one altered in transit', () => {
    const bytes = serverManifest(files);
    const parsed = parseServerManifest(bytes);
    expect([...parsed.files.keys()]).toEqual(['PG_VERSION', 'base/1/1259']);
    expect(parsed.walRanges).toEqual([{ timeline: 1, startLsn: '0/2000028', endLsn: '0/2000100' }]);
    const altered = Buffer.from(bytes.toString().replace('"Size": 5', '"Size": 6'));
    expect(() => parseServerManifest(altered)).toThrow(/fails its own checksum/);
  });

  it('names every file that differs, is missing or is extra; WAL segments are not expected in it', () => {
    const manifest = parseServerManifest(serverManifest(files));
    expect(compareWithServerManifest([{ archive: 0, path: 'PG_VERSION', size: 3, sha256: sha('17\n') }, { archive: 0, path: 'base/1/1259', size: 5, sha256: sha('hello') }, { archive: 0, path: 'pg_wal/000000010000000000000002', size: 1, sha256: sha('w') }], manifest)).toEqual([]);
    expect(
      compareWithServerManifest(
        [
          { archive: 0, path: 'PG_VERSION', size: 3, sha256: sha('16\n') },
          { archive: 0, path: 'base/1/9999', size: 1, sha256: sha('x') },
        ],
        manifest,
      ),
    ).toEqual([
      "PG_VERSION: sha256 differs from the server's manifest",
      "base/1/9999: received but not in the server's backup_manifest",
      "base/1/1259: in the server's backup_manifest but never received",
    ]);
  });
});

function tarHeader(path: string, size: number, type = '0', sizeField?: Buffer): Buffer {
  const header = Buffer.alloc(512);
  header.write(path, 0);
  header.write('0000600\0', 100);
  if (sizeField) sizeField.copy(header, 124);
  else header.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  header.write('        ', 148);
  header.write(type, 156);
  header.write('ustar\u000000', 257);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return header;
}

describe('tar scanner', () => {
  it('hashes each file of a PostgreSQL-style tar (no end blocks) as it passes through unchanged', async () => {
    const body = Buffer.from('hello');
    const tar = Buffer.concat([tarHeader('global', 0, '5'), tarHeader('global/1262', 5), body, Buffer.alloc(512 - 5)]);
    const scanned: ScannedFile[] = [];
    const out: Buffer[] = [];
    // Split at awkward places: inside a header and inside the body.
    const pieces = [tar.subarray(0, 100), tar.subarray(100, 1030), tar.subarray(1030)];
    for await (const chunk of Readable.from(pieces).pipe(new TarScanner('base.tar', { onFile: (file) => scanned.push(file) }))) out.push(chunk as Buffer);
    expect(Buffer.concat(out).equals(tar)).toBe(true);
    expect(scanned).toEqual([{ path: 'global/1262', size: 5, sha256: sha('hello') }]);
  });

  it('reads base-256 sizes (files of 8 GiB and more) and refuses damaged or unsafe headers', () => {
    const big = Buffer.alloc(12);
    big[0] = 0x80;
    big.writeUIntBE(9 * 1024 ** 3, 6, 6);
    expect(parseTarHeader(tarHeader('base/1/big', 0, '0', big), 'base.tar')?.size).toBe(9 * 1024 ** 3);
    const damaged = tarHeader('base/1/x', 1);
    damaged[0] = 0x41;
    expect(() => parseTarHeader(damaged, 'base.tar')).toThrow(/checksum/);
    expect(() => parseTarHeader(tarHeader('../etc/passwd', 1), 'base.tar')).toThrow(/unsafe path/);
  });
});
