import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import Provider from 'oidc-provider';

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
  const provider = new Provider(issuer, {
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
  server.on('request', provider.callback());
  return {
    issuer,
    clientId: 'pgferry',
    clientSecret: 'pgferry-test-client-secret',
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
