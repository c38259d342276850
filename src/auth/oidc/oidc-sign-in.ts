import * as client from 'openid-client';

import type { Config } from '../../config/config-schema.js';
import { PgferryError } from '../../errors/pgferry-error.js';
import type { AppStore } from '../../store/app-store.js';
import { OidcRepository } from '../../store/oidc-repository.js';
import type { PublicUser } from '../../store/user-repository.js';
import { type OpenedSession, openSession } from '../open-session.js';
import { hashSecret } from '../secret-token.js';
import type { OidcClient } from './oidc-client.js';
import { roleFromClaims } from './oidc-role.js';
import { resolveOidcUser } from './oidc-user.js';

/** How long a browser may spend at the provider before its sign-in state expires. */
export const signInTtlMs = 10 * 60 * 1000;

/** Starts a sign-in: the state, nonce and PKCE verifier stay server-side; the state also goes to the browser's cookie. */
export async function startOidcSignIn(store: AppStore, oidc: OidcClient): Promise<{ url: string; state: string }> {
  const configuration = await oidc.configuration();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const codeVerifier = client.randomPKCECodeVerifier();
  await new OidcRepository(store.db).saveLoginState({ stateHash: hashSecret(state), nonce, codeVerifier, ttlMs: signInTtlMs });
  const url = client.buildAuthorizationUrl(configuration, {
    redirect_uri: oidc.settings.redirectUrl,
    scope: oidc.settings.scopes,
    state,
    nonce,
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
  });
  return { url: url.href, state };
}

function isNetworkError(error: unknown): boolean {
  return error instanceof TypeError || (error as { code?: string }).code === 'ECONNREFUSED';
}

/**
 * Finishes a sign-in from the provider's answer (the callback's query string): the state must
 * be the one this browser started and unused; openid-client exchanges the code with the PKCE
 * verifier and validates the ID token (signature, issuer, audience, expiry, nonce).
 */
export async function finishOidcSignIn(
  store: AppStore,
  config: Config,
  oidc: OidcClient,
  input: { query: string; browserState: string | undefined; ip: string | null; userAgent: string | null },
): Promise<{ user: PublicUser; session: OpenedSession }> {
  const returned = new URLSearchParams(input.query).get('state');
  const saved = returned !== null && returned === input.browserState ? await new OidcRepository(store.db).takeLoginState(hashSecret(returned)) : undefined;
  if (!saved || returned === null) {
    throw new PgferryError('PGF_OIDC_STATE_INVALID', 'this SSO answer does not belong to a sign-in this browser started, or it expired or was already used; start the sign-in again');
  }
  const configuration = await oidc.configuration();
  const callbackUrl = new URL(oidc.settings.redirectUrl);
  callbackUrl.search = input.query;
  let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
  try {
    tokens = await client.authorizationCodeGrant(configuration, callbackUrl, { pkceCodeVerifier: saved.codeVerifier, expectedState: returned, expectedNonce: saved.nonce, idTokenExpected: true });
  } catch (error) {
    if (isNetworkError(error)) throw new PgferryError('PGF_OIDC_PROVIDER_UNAVAILABLE', `the identity provider could not be reached to finish the sign-in (${(error as Error).message})`);
    // openid-client names the failed claim (aud, exp, nonce …) only in the error it wraps.
    const inner = (error as { cause?: unknown }).cause;
    const which = inner instanceof Error ? ` (${inner.message})` : '';
    throw new PgferryError('PGF_OIDC_TOKEN_REJECTED', `the identity provider refused the sign-in or its ID token failed validation: ${(error as Error).message}${which}`, {
      details: { reason: (error as { code?: string; error?: string }).error ?? (error as { code?: string }).code ?? 'invalid' },
    });
  }
  const claims = tokens.claims();
  if (!claims) throw new PgferryError('PGF_OIDC_TOKEN_REJECTED', 'the identity provider answered without an ID token');
  const role = roleFromClaims(claims, config.PGFERRY_OIDC_ROLE_CLAIM, config.PGFERRY_OIDC_ROLE_MAP);
  const user = await resolveOidcUser(store, config, { issuer: claims.iss, subject: claims.sub, claims, role });
  const session = await openSession(store, config, { userId: user.id, ip: input.ip, userAgent: input.userAgent });
  return { user, session };
}
