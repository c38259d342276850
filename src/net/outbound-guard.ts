import { lookup } from 'node:dns/promises';

import type pg from 'pg';

import { PgferryError } from '../errors/pgferry-error.js';
import { type OutboundRule, allowedByAddresses, allowedByName, needsResolution, normaliseHost } from '../config/outbound-allow.js';

/** A destination about to be connected to; `what` names its owner in the error, e.g. `connection "prod"`. */
export interface OutboundTarget {
  host: string;
  port: number;
  what: string;
}

/** Resolves when pgferry may connect to the target; rejects with PGF_OUTBOUND_DENIED before any connection. */
export type OutboundCheck = (target: OutboundTarget) => Promise<void>;

export type ResolveHost = (host: string) => Promise<string[]>;

const resolveWithSystem: ResolveHost = async (host) => (await lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);

/** Everything allowed: PGFERRY_OUTBOUND_ALLOW unset (and ad-hoc CLI use). */
export const allowAnyOutbound: OutboundCheck = async () => {};

function shown(host: string, port: number): string {
  if (host.startsWith('/')) return `the Unix socket in ${host}`;
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function denied(target: OutboundTarget, host: string, reason: string): PgferryError {
  const destination = shown(host, target.port);
  const entry = host.startsWith('/') ? host : destination;
  return new PgferryError(
    'PGF_OUTBOUND_DENIED',
    `${target.what}: ${destination} is not on the outbound allow-list${reason}; add it to PGFERRY_OUTBOUND_ALLOW (e.g. "${entry}") to let pgferry connect there`,
    { details: { host, port: target.port } },
  );
}

/**
 * The check for a parsed PGFERRY_OUTBOUND_ALLOW. A name is allowed when listed (or under a
 * listed *.domain), or when every address it resolves to is in a listed network. The name is
 * resolved again by the client that connects, so this guards against mistakes and misuse of
 * the API, not against a DNS server that answers differently the second time.
 */
export function createOutboundCheck(rules: readonly OutboundRule[] | undefined, resolve: ResolveHost = resolveWithSystem): OutboundCheck {
  if (rules === undefined) return allowAnyOutbound;
  return async (target) => {
    const host = normaliseHost(target.host);
    const destination = { host, port: target.port };
    if (allowedByName(rules, destination)) return;
    if (!needsResolution(rules, destination)) throw denied(target, host, '');
    let addresses: string[];
    try {
      addresses = await resolve(host);
    } catch {
      throw denied(target, host, ' (the name does not resolve, so no allowed network can match it)');
    }
    if (!allowedByAddresses(rules, target.port, addresses)) {
      throw denied(target, host, ` (it resolves to ${addresses.slice(0, 4).join(', ')}, not all inside an allowed network)`);
    }
  };
}

/** Where a pg client config connects: its host (or socket directory) and port, as node-postgres defaults them. */
export function pgDestination(config: pg.ClientConfig): { host: string; port: number } {
  if (config.host !== undefined && config.host !== '') return { host: config.host, port: config.port ?? 5432 };
  if (config.connectionString && URL.canParse(config.connectionString)) {
    const url = new URL(config.connectionString);
    const socket = url.searchParams.get('host');
    return { host: socket ?? (decodeURIComponent(url.hostname).replace(/^\[(.*)\]$/, '$1') || 'localhost'), port: Number(url.port) || config.port || 5432 };
  }
  return { host: 'localhost', port: config.port ?? 5432 };
}

/** Where an http(s) URL connects. */
export function urlDestination(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(parsed.port) || (parsed.protocol === 'https:' ? 443 : 80) };
}

export function checkPgConfig(check: OutboundCheck, config: pg.ClientConfig, what: string): Promise<void> {
  return check({ ...pgDestination(config), what });
}
