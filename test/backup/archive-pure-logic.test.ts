import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';

import { describe, expect, it } from 'vitest';

import { BlockGzip, blockLevel } from '../../src/engine/archive/block-gzip.js';
import { archiveCopyFormat } from '../../src/engine/backup/archive-copy-format.js';
import { postDataSteps } from '../../src/engine/restore/post-data-steps.js';

const oids = (...list: number[]) => list.map((typeOid) => ({ typeOid }));

describe('archive COPY format', () => {
  it('stores tables of portable types in binary on UTF8 servers, everything else as text', () => {
    expect(archiveCopyFormat(oids(20, 25, 17), 'UTF8')).toBe('binary');
    expect(archiveCopyFormat(oids(20, 1001, 1184, 1700, 3802), 'UTF8')).toBe('binary');
    // A user-defined type (enum, domain, composite) or point has no portability promise: text.
    expect(archiveCopyFormat(oids(17, 16500), 'UTF8')).toBe('text');
    expect(archiveCopyFormat(oids(17, 600), 'UTF8')).toBe('text');
    expect(archiveCopyFormat([], 'UTF8')).toBe('text');
    // Binary text is not converted between encodings: other encodings stay text.
    expect(archiveCopyFormat(oids(20, 25), 'LATIN1')).toBe('text');
  });
});

describe('block gzip', () => {
  it('writes members that gunzip reads back as the original bytes, in order', async () => {
    const text = Buffer.from('id\tname\n'.repeat(200_000));
    const noise = randomBytes(300_000);
    const input = Buffer.concat([text, noise, text]);
    const chunks = [];
    for (let offset = 0; offset < input.length; offset += 70_001) chunks.push(input.subarray(offset, offset + 70_001));
    const gz = await buffer(Readable.from(chunks).pipe(new BlockGzip({ level: 6, blockBytes: 256 * 1024, inFlight: 3 })));
    expect(gunzipSync(gz).equals(input)).toBe(true);
    // The text compresses; the noise costs about its own size.
    expect(gz.length).toBeLessThan(input.length / 5);
  });

  it('stores blocks that do not compress and compresses those that do', () => {
    expect(blockLevel(randomBytes(200_000), 6)).toBe(0);
    expect(blockLevel(Buffer.from('abc'.repeat(100_000)), 6)).toBe(6);
  });

  it('writes a valid empty gzip stream for no input', async () => {
    const gz = await buffer(Readable.from([]).pipe(new BlockGzip({ level: 6 })));
    expect(gunzipSync(gz).length).toBe(0);
  });
});

describe('post-data steps', () => {
  it('builds a plain primary key as a parallel unique index, attached first in the tail', () => {
    const steps = postDataSteps([
      'ALTER TABLE "S"."my t" ADD CONSTRAINT "my t_pkey" PRIMARY KEY ("a b", id)',
      'ALTER TABLE s.t ADD CONSTRAINT t_code_key UNIQUE (code)',
      'ALTER TABLE s.t ADD CONSTRAINT t_inc_key UNIQUE (a) INCLUDE (b)',
      'CREATE INDEX t_doc ON s.t USING gin (doc)',
      'CREATE TRIGGER trg AFTER INSERT ON s.t FOR EACH ROW EXECUTE FUNCTION s.f()',
    ]);
    expect(steps.head).toEqual(['ALTER TABLE s.t ADD CONSTRAINT t_inc_key UNIQUE (a) INCLUDE (b)']);
    expect(steps.indexes).toEqual([
      ['CREATE INDEX t_doc ON s.t USING gin (doc)'],
      ['CREATE UNIQUE INDEX "my t_pkey" ON "S"."my t" ("a b", id)'],
      ['CREATE UNIQUE INDEX t_code_key ON s.t (code)'],
    ]);
    expect(steps.tail).toEqual([
      'ALTER TABLE "S"."my t" ADD CONSTRAINT "my t_pkey" PRIMARY KEY USING INDEX "my t_pkey"',
      'ALTER TABLE s.t ADD CONSTRAINT t_code_key UNIQUE USING INDEX t_code_key',
      'CREATE TRIGGER trg AFTER INSERT ON s.t FOR EACH ROW EXECUTE FUNCTION s.f()',
    ]);
    // Partitioned parents (no rows of their own) and commented keys keep the ALTER TABLE.
    expect(postDataSteps(['ALTER TABLE p ADD CONSTRAINT p_pkey PRIMARY KEY (id)'], { keysAsIndexes: false }).head).toHaveLength(1);
    const commented = postDataSteps(['ALTER TABLE t ADD CONSTRAINT t_pkey PRIMARY KEY (id)', "COMMENT ON CONSTRAINT t_pkey ON t IS 'k'"]);
    expect(commented.head).toHaveLength(2);
  });

  it('runs constraints first, each index on its own (GIN and GiST first), then triggers and policies', () => {
    const steps = postDataSteps([
      'ALTER TABLE s.t ADD CONSTRAINT t_pkey PRIMARY KEY (id)',
      'COMMENT ON CONSTRAINT t_pkey ON s.t IS \'k\'',
      'CREATE INDEX t_a ON s.t USING btree (a)',
      "COMMENT ON INDEX s.t_a IS 'a'",
      'CREATE INDEX t_doc ON s.t USING gin (doc)',
      'CREATE UNIQUE INDEX t_b ON s.t USING btree (b)',
      'CREATE TRIGGER trg AFTER INSERT ON s.t FOR EACH ROW EXECUTE FUNCTION s.f()',
      'ALTER TABLE s.t ENABLE ROW LEVEL SECURITY',
    ]);
    expect(steps.head).toEqual(['ALTER TABLE s.t ADD CONSTRAINT t_pkey PRIMARY KEY (id)', "COMMENT ON CONSTRAINT t_pkey ON s.t IS 'k'"]);
    expect(steps.indexes).toEqual([
      ['CREATE INDEX t_doc ON s.t USING gin (doc)'],
      ['CREATE INDEX t_a ON s.t USING btree (a)', "COMMENT ON INDEX s.t_a IS 'a'"],
      ['CREATE UNIQUE INDEX t_b ON s.t USING btree (b)'],
    ]);
    expect(steps.tail).toEqual(['CREATE TRIGGER trg AFTER INSERT ON s.t FOR EACH ROW EXECUTE FUNCTION s.f()', 'ALTER TABLE s.t ENABLE ROW LEVEL SECURITY']);
  });

  it('keeps CLUSTER ON a key until the key exists, and a key index comment with its index', () => {
    const steps = postDataSteps([
      'ALTER TABLE s.t ADD CONSTRAINT t_pkey PRIMARY KEY (id)',
      "COMMENT ON INDEX s.t_pkey IS 'its index'",
      'ALTER TABLE s.t CLUSTER ON t_pkey',
    ]);
    expect(steps.head).toEqual([]);
    expect(steps.indexes).toEqual([['CREATE UNIQUE INDEX t_pkey ON s.t (id)', "COMMENT ON INDEX s.t_pkey IS 'its index'"]]);
    expect(steps.tail).toEqual(['ALTER TABLE s.t ADD CONSTRAINT t_pkey PRIMARY KEY USING INDEX t_pkey', 'ALTER TABLE s.t CLUSTER ON t_pkey']);
  });

  it('keeps an index that comes after a trigger in the sequential tail, in order', () => {
    const trigger = 'CREATE TRIGGER x AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()';
    const steps = postDataSteps(['CREATE INDEX i ON t USING btree (a)', trigger, 'CREATE INDEX j ON t USING btree (b)']);
    expect(steps.head).toEqual([]);
    expect(steps.indexes).toEqual([['CREATE INDEX i ON t USING btree (a)']]);
    expect(steps.tail).toEqual([trigger, 'CREATE INDEX j ON t USING btree (b)']);
  });
});
