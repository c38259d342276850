import * as client from 'openid-client';

import type { Config } from '../../config/config-schema.js';
import { PgferryError } from '../../errors/pgferry-error.js';

/** What a sign-in needs from the configuration once SSO is on. */
export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret: string | undefined;
  redirectUrl: string;
  scopes: string;
}

export function oidcSettings(config: Config): OidcSettings | undefined {
  const { PGFERRY_OIDC_ISSUER: issuer, PGFERRY_OIDC_CLIENT_ID: clientId, PGFERRY_OIDC_REDIRECT_URL: redirectUrl } = config;
  if (issuer === undefined || clientId === undefined || redirectUrl === undefined) return undefined;
  return { issuer, clientId, clientSecret: config.PGFERRY_OIDC_CLIENT_SECRET, redirectUrl, scopes: config.PGFERRY_OIDC_SCOPES };
}

/**
 * The provider's discovered configuration, fetched on first use and kept; a failed discovery
 * is not kept, so the next sign-in tries again once the provider is back.
 */
export class OidcClient {
  private discovered: Promise<client.Configuration> | undefined;

  constructor(readonly settings: OidcSettings) {}

  configuration(): Promise<client.Configuration> {
    this.discovered ??= this.discover().catch((error: unknown) => {
      this.discovered = undefined;
      throw error;
    });
    return this.discovered;
  }

  private async discover(): Promise<client.Configuration> {
    const { issuer, clientId, clientSecret } = this.settings;
    // Plain http is only accepted for localhost by the config schema.
    const insecure = issuer.startsWith('http:') ? { execute: [client.allowInsecureRequests] } : undefined;
    try {
      return await client.discovery(new URL(issuer), clientId, clientSecret, clientSecret === undefined ? client.None() : undefined, insecure);
    } catch (error) {
      throw new PgferryError('PGF_OIDC_PROVIDER_UNAVAILABLE', `could not read the OIDC discovery document of ${issuer} (${(error as Error).message}); check PGFERRY_OIDC_ISSUER and that pgferry can reach it`);
    }
  }
}
