import type { Kysely } from 'kysely';

import type { StoreDatabase } from './store-types.js';

/** What routes and services need from the store; tests pass a real store on a throw-away database. */
export interface AppStore {
  db: Kysely<StoreDatabase>;
}
