import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { SignJWT, decodeJwt, exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

import { createTestApp } from '../../helpers/test-app.js';

export interface TestAccount {
  preferred_username: string;
  email?: string;
  groups: string[];
}

/** A free local port, for a server whose URL must be configured before it listens. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A real OIDC provider (panva's oidc-provider) on a local port, with pgferry registered as a
 * confidential client and accounts whose ID tokens carry their groups. Its development login
 * form accepts any password.
 */
export async function startTestProvider(options: { redirectUri: string; accounts: Record<string, TestAccount> }) {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signingKey = { ...(await exportJWK(privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
  const provider = new Provider(issuer, {
    jwks: { keys: [signingKey] },
    clients: [{ client_id: 'pgferry', client_secret: 'pgferry-test-client-secret', redirect_uris: [options.redirectUri], grant_types: ['authorization_code'], response_types: ['code'] }],
    claims: { openid: ['sub'], profile: ['preferred_username', 'name', 'groups'], email: ['email', 'email_verified'] },
    // Scope claims in the ID token itself, as Keycloak and Entra ID put groups there.
    conformIdTokenClaims: false,
    findAccount: (_context, id) => {
      const account = options.accounts[id];
      if (!account) return undefined;
      return { accountId: id, claims: () => ({ sub: id, email_verified: true, ...account }) };
    },
  });
  // A test may rewrite the ID token's claims, re-signed with the provider's own key: only the
  // claim is wrong (another audience, an expired token), never the signature.
  let tamper: ((claims: Record<string, unknown>) => Record<string, unknown>) | undefined;
  provider.use(async (context, next) => {
    await next();
    const body = context.body as { id_token?: string } | undefined;
    if (tamper && context.path === '/token' && typeof body?.id_token === 'string') {
      body.id_token = await new SignJWT(tamper(decodeJwt(body.id_token))).setProtectedHeader({ alg: 'RS256', kid: 'test-key' }).sign(privateKey);
    }
  });
  server.on('request', provider.callback());
  return {
    issuer,
    clientId: 'pgferry',
    clientSecret: 'pgferry-test-client-secret',
    tamperIdToken: (rewrite: typeof tamper) => {
      tamper = rewrite;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A listening test app with SSO configured against a fresh test provider holding `accounts`. */
export async function startPgferryWithProvider(accounts: Record<string, TestAccount>, extraEnv: Record<string, string>) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const redirectUri = `${base}/api/v1/auth/oidc/callback`;
  const provider = await startTestProvider({ redirectUri, accounts });
  const t = await createTestApp({
    PGFERRY_OIDC_ISSUER: provider.issuer,
    PGFERRY_OIDC_CLIENT_ID: provider.clientId,
    PGFERRY_OIDC_CLIENT_SECRET: provider.clientSecret,
    PGFERRY_OIDC_REDIRECT_URL: redirectUri,
    PGFERRY_OIDC_ROLE_MAP: 'pg-admins=admin,pg-ops=operator,staff=viewer',
    ...extraEnv,
  });
  await t.app.listen({ port, host: '127.0.0.1' });
  return { t, provider, base, redirectUri };
}
