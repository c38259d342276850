import { type OpenedStore, openStore } from '../../store/open-store.js';
import { createCliContext } from '../cli-context.js';

export const json = (value: unknown): void => console.log(JSON.stringify(value, null, 2));

/** Opens the metadata store for one command (migrating it in auto mode, like serve). */
export async function withLocalStore<T>(work: (store: OpenedStore) => Promise<T>): Promise<T> {
  const { config, logger } = createCliContext();
  const store = await openStore({ config, logger, schema: config.PGFERRY_SCHEMA_MODE === 'auto' ? 'migrate' : 'check' });
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}
