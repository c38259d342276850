import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import type { FidelityCase } from './fidelity-cases.js';

const corpora = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures/corpora');
const read = (file: string) => readFileSync(path.join(corpora, file), 'utf8');

/**
 * Real sample databases (fixtures/corpora, see its README.md) as fidelity cases. Their owner
 * statements name the upstream author's role: the test's own user stands in for it.
 */
export const corpusCases: FidelityCase[] = [
  {
    name: 'corpus: pagila (schema and sample rows)',
    sql: `${read('pagila/pagila-schema.sql').replaceAll(/ OWNER TO postgres;$/gm, ' OWNER TO CURRENT_USER;')}\n${read('pagila/pagila-sample-data.sql')}`,
  },
  {
    name: 'corpus: AdventureWorks (schema)',
    needs: 'extension:uuid-ossp,extension:tablefunc',
    sql: read('adventureworks/adventureworks-schema.sql'),
  },
];
