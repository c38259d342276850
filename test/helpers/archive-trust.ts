import { randomBytes } from 'node:crypto';

import { type ArchiveTrust, archiveSigningKey } from '../../src/engine/archive/manifest-signature.js';

/** The key test backups are signed with, and the trust their restores check it with. */
export const testSigningKey = archiveSigningKey(randomBytes(32));
export const testTrust: ArchiveTrust = { signingKey: testSigningKey };
