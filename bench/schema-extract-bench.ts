// Driver of bench/schema-extract.sh (run it through that script): times the schema layer's
// catalog read and sort on BENCH_URL, RUNS times, and prints the medians.
import { readSchemaGraph } from '../src/engine/schema/graph/read-schema-graph.js';
import { sortObjects } from '../src/engine/schema/graph/sort-objects.js';
import { openSession } from '../src/engine/sql/session-settings.js';

const url = process.env.BENCH_URL as string;
const runs = Number(process.env.RUNS ?? 3);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

const reads: number[] = [];
const sorts: number[] = [];
let objects = 0;
for (let run = 0; run < runs; run++) {
  const client = await openSession({ connectionString: url }, 'source', 'pgferry bench');
  try {
    const started = performance.now();
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    const graph = await readSchemaGraph(client);
    await client.query('COMMIT');
    const read = performance.now();
    sortObjects(graph.objects.values());
    reads.push(read - started);
    sorts.push(performance.now() - read);
    objects = graph.objects.size;
  } finally {
    await client.end();
  }
}
const tables = (await (async () => {
  const client = await openSession({ connectionString: url }, 'source', 'pgferry bench');
  try {
    return (await client.query<{ n: string }>(`SELECT count(*)::text AS n FROM pg_class WHERE relkind = 'r' AND relnamespace::regnamespace::text ~ '^s[0-9]$'`)).rows[0]!.n;
  } finally {
    await client.end();
  }
})());
console.log(`schema objects: ${objects} (${tables} tables)`);
console.log(`read (catalog + pg_depend): median ${median(reads).toFixed(0)} ms of ${runs} runs (${reads.map((v) => v.toFixed(0)).join(', ')})`);
console.log(`sort: median ${median(sorts).toFixed(0)} ms`);
console.log(`total: ${(median(reads) + median(sorts)).toFixed(0)} ms`);
