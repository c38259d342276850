import { isIP } from 'node:net';

// PGFERRY_OUTBOUND_ALLOW: the destinations pgferry may connect to on a user's say-so
// (registered databases, S3 endpoints, webhooks, SMTP servers). Pure: parsing and matching
// only; name resolution and the error live in outbound-guard.ts.
//
// Entries, comma-separated, each with an optional `:port`:
//   db.internal            a host name, exactly (letter case ignored)
//   *.example.com          any name under example.com (not example.com itself)
//   10.0.0.0/8, 10.1.2.3   an IPv4 network or address
//   [fd00::]/8, [::1]:5432 an IPv6 network or address (brackets needed before a port;
//                          fd00::/8 without a port needs none)
//   /var/run/postgresql    a Unix-socket directory, exactly

export type OutboundRule =
  | { kind: 'host'; name: string; port?: number; text: string }
  | { kind: 'wildcard'; suffix: string; port?: number; text: string }
  | { kind: 'cidr'; family: 4 | 6; network: bigint; prefix: number; port?: number; text: string }
  | { kind: 'socket'; path: string; text: string };

export class OutboundAllowSyntaxError extends Error {}

const label = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

function parsePort(text: string, entry: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535) {
    throw new OutboundAllowSyntaxError(`"${entry}": the port must be a number from 1 to 65535`);
  }
  return Number(text);
}

function isHostName(name: string): boolean {
  return name.length <= 253 && name.split('.').every((part) => label.test(part));
}

/** An IP address as a number (IPv4-mapped IPv6 addresses count as IPv4). */
export function ipToBigInt(address: string): { family: 4 | 6; value: bigint } | undefined {
  const plain = address.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(plain);
  if (mapped?.[1]) return ipToBigInt(mapped[1]);
  const family = isIP(plain);
  if (family === 4) return { family, value: plain.split('.').reduce((sum, part) => (sum << 8n) + BigInt(Number(part)), 0n) };
  if (family !== 6) return undefined;
  let text = plain.toLowerCase();
  const v4Tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4Tail?.[1]) {
    const tail = ipToBigInt(v4Tail[1])?.value ?? 0n;
    text = text.replace(v4Tail[1], `${(tail >> 16n).toString(16)}:${(tail & 0xffffn).toString(16)}`);
  }
  const [head = '', rest] = text.split('::') as [string, string | undefined];
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const groups = rest === undefined ? headGroups : [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  return { family: 6, value: groups.reduce((sum, group) => (sum << 16n) + BigInt(parseInt(group, 16)), 0n) };
}

function parseCidr(address: string, prefixText: string | undefined, entry: string): { family: 4 | 6; network: bigint; prefix: number } {
  const ip = ipToBigInt(address);
  if (!ip) throw new OutboundAllowSyntaxError(`"${entry}": "${address}" is not an IP address`);
  const bits = ip.family === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) throw new OutboundAllowSyntaxError(`"${entry}": the prefix length must be a number from 0 to ${bits}`);
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (prefix > bits) throw new OutboundAllowSyntaxError(`"${entry}": the prefix length must be a number from 0 to ${bits}`);
  const mask = prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(bits - prefix);
  return { family: ip.family, network: ip.value & mask, prefix };
}

function parseEntry(entry: string): OutboundRule {
  if (entry.startsWith('/')) return { kind: 'socket', path: entry.replace(/\/+$/, '') || '/', text: entry };
  if (entry === '*') throw new OutboundAllowSyntaxError('"*" would allow every destination; leave PGFERRY_OUTBOUND_ALLOW unset for that');
  // [v6], [v6]/len or [v6/len], then an optional :port
  const bracketed = /^\[([^\]/]+)(?:\/([^\]]*))?\](?:\/([^:]*))?(?::(.*))?$/.exec(entry);
  if (bracketed) {
    const [, address = '', innerPrefix, outerPrefix, port] = bracketed;
    if (innerPrefix !== undefined && outerPrefix !== undefined) throw new OutboundAllowSyntaxError(`"${entry}" has two prefix lengths`);
    const prefix = innerPrefix ?? outerPrefix;
    if (isIP(address) !== 6) throw new OutboundAllowSyntaxError(`"${entry}": only IPv6 addresses go in brackets`);
    return { kind: 'cidr', ...parseCidr(address, prefix, entry), ...(port !== undefined ? { port: parsePort(port, entry) } : {}), text: entry };
  }
  // An unbracketed IPv6 address or network has no port (its colons would be ambiguous).
  if ((entry.match(/:/g) ?? []).length > 1) {
    const [address = '', prefix] = entry.split('/');
    if (isIP(address) !== 6) throw new OutboundAllowSyntaxError(`"${entry}" is neither a host nor an address; write IPv6 with a port as [address]:port`);
    return { kind: 'cidr', ...parseCidr(address, prefix, entry), text: entry };
  }
  const colon = entry.lastIndexOf(':');
  const hostPart = (colon === -1 ? entry : entry.slice(0, colon)).toLowerCase().replace(/\.$/, '');
  const port = colon === -1 ? {} : { port: parsePort(entry.slice(colon + 1), entry) };
  const [address = '', prefix, extra] = hostPart.split('/');
  if (extra !== undefined) throw new OutboundAllowSyntaxError(`"${entry}" has more than one "/"`);
  if (isIP(address) === 4) return { kind: 'cidr', ...parseCidr(address, prefix, entry), ...port, text: entry };
  if (prefix !== undefined) throw new OutboundAllowSyntaxError(`"${entry}": a "/prefix" only follows an IP address, e.g. 10.0.0.0/8`);
  if (address.startsWith('*.')) {
    const suffix = address.slice(2);
    if (!isHostName(suffix)) throw new OutboundAllowSyntaxError(`"${entry}": "${suffix}" is not a valid domain name`);
    return { kind: 'wildcard', suffix, ...port, text: entry };
  }
  if (!isHostName(address)) throw new OutboundAllowSyntaxError(`"${entry}" is not a host name, IP address, network or *.domain`);
  return { kind: 'host', name: address, ...port, text: entry };
}

/** Parses the list; throws OutboundAllowSyntaxError naming the first bad entry. Empty → undefined (everything allowed). */
export function parseOutboundAllow(text: string | undefined): OutboundRule[] | undefined {
  const entries = (text ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  return entries.length === 0 ? undefined : entries.map(parseEntry);
}

export interface OutboundDestination {
  /** Host name, IP address, or Unix-socket directory (starting with `/`). */
  host: string;
  port: number;
}

export function normaliseHost(host: string): string {
  return host
    .trim()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '')
    .toLowerCase();
}

function portMatches(rule: { port?: number }, port: number): boolean {
  return rule.port === undefined || rule.port === port;
}

function inCidr(rule: Extract<OutboundRule, { kind: 'cidr' }>, address: string): boolean {
  const ip = ipToBigInt(address);
  if (!ip || ip.family !== rule.family) return false;
  const bits = rule.family === 4 ? 32 : 128;
  const mask = rule.prefix === 0 ? 0n : ((1n << BigInt(rule.prefix)) - 1n) << BigInt(bits - rule.prefix);
  return (ip.value & mask) === rule.network;
}

/** Whether the destination is allowed by its name alone (or, for an IP literal, by its address). */
export function allowedByName(rules: readonly OutboundRule[], destination: OutboundDestination): boolean {
  const host = normaliseHost(destination.host);
  if (host.startsWith('/')) return rules.some((rule) => rule.kind === 'socket' && rule.path === (host.replace(/\/+$/, '') || '/'));
  const literal = isIP(host) !== 0;
  return rules.some((rule) => {
    if (rule.kind === 'socket' || !portMatches(rule, destination.port)) return false;
    if (rule.kind === 'host') return rule.name === host;
    if (rule.kind === 'wildcard') return !literal && host.endsWith(`.${rule.suffix}`);
    return literal && inCidr(rule, host);
  });
}

/** Whether some CIDR entry could allow this destination once its name is resolved. */
export function needsResolution(rules: readonly OutboundRule[], destination: OutboundDestination): boolean {
  const host = normaliseHost(destination.host);
  return !host.startsWith('/') && isIP(host) === 0 && rules.some((rule) => rule.kind === 'cidr' && portMatches(rule, destination.port));
}

/**
 * Whether every resolved address of a name is in an allowed network on the port: one address
 * outside would let the connection land there, so one is enough to refuse.
 */
export function allowedByAddresses(rules: readonly OutboundRule[], port: number, addresses: readonly string[]): boolean {
  if (addresses.length === 0) return false;
  return addresses.every((address) => rules.some((rule) => rule.kind === 'cidr' && portMatches(rule, port) && inCidr(rule, address)));
}
