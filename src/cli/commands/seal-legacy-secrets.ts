import type { Kysely } from 'kysely';

import type { Logger } from '../../logger.js';
import type { SecretBox } from '../../secrets/secret-box.js';
import { sealLegacyChannelHeaders } from '../../notifications/channel-service.js';
import type { StoreDatabase } from '../../store/store-types.js';

/** At start of `serve` and `worker`: webhook headers an older pgferry kept in the clear get sealed. */
export async function sealHeadersOfOlderVersions(db: Kysely<StoreDatabase>, secrets: SecretBox, logger: Logger): Promise<void> {
  const sealed = await sealLegacyChannelHeaders(db, secrets);
  if (sealed > 0) logger.info({ channels: sealed }, `sealed the custom headers of ${sealed} webhook channel${sealed === 1 ? '' : 's'} (stored in the clear by an older pgferry)`);
}
