import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { cutover } from '../../src/engine/follow/cutover.js';
import { dropFollow } from '../../src/engine/follow/drop-follow.js';
import type { FollowOptions } from '../../src/engine/follow/follow-api.js';
import { follow } from '../../src/engine/follow/run-follow.js';
import { createTestDatabase } from '../helpers/test-database.js';
import { progressProbe, sql, useLogicalCluster, waitFor } from './follow-helpers.js';

// A real sample database nobody here wrote (pagila: a partitioned payment table, triggers,
// foreign keys, enum and array columns, a tsvector kept by a trigger) followed whole while a
// workload writes across it; cut-over must find rows, sequences and schema equal.

const corpora = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/corpora/pagila');
const pagila = `${readFileSync(path.join(corpora, 'pagila-schema.sql'), 'utf8').replaceAll(/ OWNER TO postgres;$/gm, ' OWNER TO CURRENT_USER;')}\n${readFileSync(path.join(corpora, 'pagila-sample-data.sql'), 'utf8')}`;

const northwind = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/northwind.sql');
const hasPsql = spawnSync('psql', ['--version']).status === 0;

const cluster = useLogicalCluster();

/** Follows until `body` is done, then cuts over and expects every table, the sequences and the schema equal. */
async function followAndCutOver(options: FollowOptions, body: () => Promise<void>): Promise<void> {
  const controller = new AbortController();
  const probe = progressProbe();
  let failure: unknown;
  const running = follow(options, { signal: controller.signal, onProgress: probe.onProgress }).catch((error: unknown) => (failure = error));
  try {
    await waitFor('the stream to start', () => {
      if (failure) throw failure;
      return probe.phases.has('streaming') ? true : undefined;
    }, 300_000);
    await body();
    const report = await cutover({ ...options, timeoutMs: 300_000 });
    expect(report.tables.filter((t) => !t.equal)).toEqual([]);
    expect(report.schemaEqual).toBe(true);
    expect(report.equal).toBe(true);
  } finally {
    controller.abort();
    await running;
  }
  if (failure) throw failure;
  await dropFollow(options);
}

describe('follow: a real sample database', () => {
  it('follows pagila through inserts, updates, deletes and a payment in a new partition, and cuts over equal', async () => {
    const sourceUrl = await cluster().createDatabase('pagila');
    const destinationUrl = (await createTestDatabase({ migrated: false, prefix: 'pgferry_follow_pagila' })).url;
    await sql(sourceUrl, pagila);
    const options: FollowOptions = { source: { connectionString: sourceUrl }, destination: { connectionString: destinationUrl }, followId: 'pagila', schemas: ['public'], batchWaitMs: 100 };
    await followAndCutOver(options, async () => {
      await sql(
        sourceUrl,
        `INSERT INTO public.actor (first_name, last_name) VALUES ('NEW', 'ACTOR');
         UPDATE public.film SET description = description || ' (restored)', rental_rate = rental_rate + 1 WHERE film_id % 7 = 0;
         UPDATE public.customer SET email = upper(email), activebool = NOT activebool WHERE customer_id <= 10;
         DELETE FROM public.film_actor WHERE actor_id = 8;
         INSERT INTO public.rental (rental_date, inventory_id, customer_id, staff_id) VALUES ('2022-03-03 10:00+00', 5, 7, 1);
         INSERT INTO public.payment (customer_id, staff_id, rental_id, amount, payment_date) VALUES (7, 1, 301, 4.99, '2022-03-03 11:00+00');
         UPDATE public.payment SET amount = amount + 0.5 WHERE payment_id % 11 = 0;
         DELETE FROM public.payment WHERE payment_id IN (13, 14);
         CREATE TABLE public.payment_p2027_01 PARTITION OF public.payment FOR VALUES FROM ('2027-01-01 00:00:00+00') TO ('2027-02-01 00:00:00+00');
         INSERT INTO public.payment (customer_id, staff_id, rental_id, amount, payment_date) VALUES (9, 2, 300, 1.99, '2027-01-15 12:00+00');`,
      );
    });
    expect(await sql(destinationUrl, `SELECT amount::text FROM public.payment WHERE payment_date = '2027-01-15 12:00+00'`)).toEqual([{ amount: '1.99' }]);
  });

  it.skipIf(!hasPsql)('follows northwind (loaded with psql, a pg_dump file) through orders written and cancelled, and cuts over equal', async () => {
    const sourceUrl = await cluster().createDatabase('northwind');
    const destinationUrl = (await createTestDatabase({ migrated: false, prefix: 'pgferry_follow_northwind' })).url;
    const loaded = spawnSync('psql', [sourceUrl, '-q', '-v', 'ON_ERROR_STOP=0', '-f', northwind], { encoding: 'utf8' });
    expect(loaded.status, loaded.stderr).toBe(0);
    const options: FollowOptions = { source: { connectionString: sourceUrl }, destination: { connectionString: destinationUrl }, followId: 'northwind', batchWaitMs: 100 };
    await followAndCutOver(options, async () => {
      await sql(
        sourceUrl,
        `INSERT INTO orders (order_id, customer_id, employee_id, order_date, ship_via, freight, ship_name) VALUES (20000, 'ALFKI', 1, '2026-12-04', 1, 12.5, 'New order');
         INSERT INTO order_details (order_id, product_id, unit_price, quantity, discount) VALUES (20000, 1, 18, 3, 0), (20000, 2, 19, 1, 0.05);
         UPDATE products SET units_in_stock = units_in_stock - 3 WHERE product_id = 1;
         UPDATE customers SET contact_name = contact_name || ' Jr.' WHERE country = 'Germany';
         DELETE FROM order_details WHERE order_id = 10248;
         DELETE FROM orders WHERE order_id = 10248;`,
      );
    });
  });
});
