import { describe, expect, it } from 'vitest';

import { loadConfig } from '../../src/config/load-config.js';
import { type OutboundRule, allowedByAddresses, allowedByName, needsResolution, parseOutboundAllow } from '../../src/config/outbound-allow.js';
import { createOutboundCheck, pgDestination, urlDestination } from '../../src/net/outbound-guard.js';

const rules = (text: string): OutboundRule[] => parseOutboundAllow(text) ?? [];
const byName = (text: string, host: string, port: number) => allowedByName(rules(text), { host, port });

describe('PGFERRY_OUTBOUND_ALLOW parsing', () => {
  it('reads hosts, wildcards, IPv4 and IPv6 networks, sockets and ports', () => {
    expect(parseOutboundAllow(undefined)).toBeUndefined();
    expect(parseOutboundAllow(' , ')).toBeUndefined();
    expect(rules('db.internal:5432, *.Example.com ,10.0.0.0/8,s3.amazonaws.com:443,[fd00::]/8,[::1]:5432,2001:db8::/32,/var/run/postgresql').map((rule) => rule.kind)).toEqual([
      'host',
      'wildcard',
      'cidr',
      'host',
      'cidr',
      'cidr',
      'cidr',
      'socket',
    ]);
    expect(rules('db.internal:5432')[0]).toMatchObject({ kind: 'host', name: 'db.internal', port: 5432 });
    expect(rules('*.Example.com.')[0]).toMatchObject({ kind: 'wildcard', suffix: 'example.com' });
    expect(rules('[::1]:5432')[0]).toMatchObject({ kind: 'cidr', family: 6, prefix: 128, port: 5432 });
    expect(rules('[fd00::/8]:5432')[0]).toMatchObject({ kind: 'cidr', family: 6, prefix: 8, port: 5432 });
  });

  it.each([
    ['db.internal:0', 'port'],
    ['db.internal:70000', 'port'],
    ['db.internal:abc', 'port'],
    ['10.0.0.0/33', 'prefix length'],
    ['10.0.0.0/x', 'prefix length'],
    ['[fd00::]/129', 'prefix length'],
    ['[10.0.0.1]:5432', 'IPv6'],
    ['db_internal', 'not a host name'],
    ['-bad.example.com', 'not a host name'],
    ['*.', 'not a host name'],
    ['*.-x.com', 'not a valid domain'],
    ['[fd00::/8]/8', 'two prefix lengths'],
    ['a.*.example.com', 'not a host name'],
    ['db.internal/8', '/prefix'],
    ['*', 'unset'],
    ['fd00::1::2', 'neither a host nor an address'],
  ])('refuses %s with a message naming the entry', (entry, words) => {
    expect(() => parseOutboundAllow(`ok.example.com,${entry}`)).toThrow(words);
    expect(() => parseOutboundAllow(entry)).toThrow(`"${entry}"`);
  });

  it('stops pgferry from starting on a malformed list, naming the variable and the entry', () => {
    expect(() => loadConfig({ env: { PGFERRY_OUTBOUND_ALLOW: 'db.internal:5432,10.0.0.0/40' }, cwd: '/nonexistent' })).toThrow(
      /PGF|PGFERRY_OUTBOUND_ALLOW: "10\.0\.0\.0\/40": the prefix length/,
    );
    try {
      loadConfig({ env: { PGFERRY_OUTBOUND_ALLOW: 'db.internal:99999' }, cwd: '/nonexistent' });
      expect.unreachable();
    } catch (error) {
      expect((error as { code: string }).code).toBe('PGF_CONFIG_INVALID');
      expect((error as Error).message).toContain('PGFERRY_OUTBOUND_ALLOW');
    }
    expect(loadConfig({ env: {}, cwd: '/nonexistent' }).PGFERRY_OUTBOUND_ALLOW).toBeUndefined();
    expect(loadConfig({ env: { PGFERRY_OUTBOUND_ALLOW: 'db.internal' }, cwd: '/nonexistent' }).PGFERRY_OUTBOUND_ALLOW).toHaveLength(1);
  });
});

describe('PGFERRY_OUTBOUND_ALLOW matching', () => {
  it('matches host names exactly, ignoring letter case and a trailing dot, with or without a port', () => {
    expect(byName('db.internal', 'DB.Internal.', 6543)).toBe(true);
    expect(byName('db.internal:5432', 'db.internal', 5432)).toBe(true);
    expect(byName('db.internal:5432', 'db.internal', 5433)).toBe(false);
    expect(byName('db.internal', 'db.internal.evil.com', 5432)).toBe(false);
    expect(byName('db.internal', 'other.db.internal', 5432)).toBe(false);
  });

  it('matches *.domain for names under it, at any depth, but not the domain itself', () => {
    expect(byName('*.example.com', 'hooks.example.com', 443)).toBe(true);
    expect(byName('*.example.com', 'a.b.example.com', 443)).toBe(true);
    expect(byName('*.example.com', 'example.com', 443)).toBe(false);
    expect(byName('*.example.com', 'badexample.com', 443)).toBe(false);
    expect(byName('*.example.com:443', 'hooks.example.com', 80)).toBe(false);
  });

  it('matches IPv4 literals against networks and ports', () => {
    expect(byName('10.0.0.0/8', '10.255.1.2', 5432)).toBe(true);
    expect(byName('10.0.0.0/8', '11.0.0.1', 5432)).toBe(false);
    expect(byName('10.1.2.3', '10.1.2.3', 80)).toBe(true);
    expect(byName('10.1.2.3:5432', '10.1.2.3', 5433)).toBe(false);
    expect(byName('0.0.0.0/0', '192.0.2.1', 1)).toBe(true);
    expect(byName('192.168.1.77/24', '192.168.1.1', 1)).toBe(true);
    // An IPv4-mapped IPv6 address is the IPv4 address.
    expect(byName('127.0.0.0/8', '::ffff:127.0.0.1', 5432)).toBe(true);
  });

  it('matches IPv6 literals against networks and ports', () => {
    expect(byName('[fd00::]/8', 'fd12:3456::1', 5432)).toBe(true);
    expect(byName('[fd00::]/8', 'fe80::1', 5432)).toBe(false);
    expect(byName('2001:db8::/32', '[2001:db8:ffff::1]', 443)).toBe(true);
    expect(byName('2001:db8::/32', '2001:db9::1', 443)).toBe(false);
    expect(byName('[::1]:5432', '::1', 5432)).toBe(true);
    expect(byName('[::1]:5432', '::1', 5433)).toBe(false);
    expect(byName('[::1]:5432', '0:0:0:0:0:0:0:1', 5432)).toBe(true);
    expect(byName('[::]/0', '2001:db8::1', 1)).toBe(true);
    expect(byName('[::]/0', '10.0.0.1', 1)).toBe(false);
    expect(byName('10.0.0.0/8', 'fd00::1', 1)).toBe(false);
  });

  it('matches Unix-socket directories exactly', () => {
    expect(byName('/var/run/postgresql', '/var/run/postgresql/', 5432)).toBe(true);
    expect(byName('/var/run/postgresql', '/tmp', 5432)).toBe(false);
    expect(byName('10.0.0.0/8,*.example.com', '/tmp', 5432)).toBe(false);
  });

  it('lets a name through a network only when every address it resolves to is inside one', () => {
    const list = rules('10.0.0.0/8:5432,[fd00::]/8');
    expect(needsResolution(list, { host: 'db.corp', port: 5432 })).toBe(true);
    expect(needsResolution(list, { host: '10.0.0.1', port: 5432 })).toBe(false);
    expect(needsResolution(rules('10.0.0.0/8:5432'), { host: 'db.corp', port: 443 })).toBe(false);
    expect(allowedByAddresses(list, 5432, ['10.1.1.1', 'fd00::5'])).toBe(true);
    expect(allowedByAddresses(list, 5432, ['10.1.1.1', '192.0.2.1'])).toBe(false);
    expect(allowedByAddresses(list, 443, ['10.1.1.1'])).toBe(false);
    expect(allowedByAddresses(list, 5432, [])).toBe(false);
  });
});

describe('the outbound check', () => {
  const resolver = (table: Record<string, string[]>) => async (host: string) => {
    const found = table[host];
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return found;
  };

  it('allows everything when the list is unset', async () => {
    await expect(createOutboundCheck(undefined)({ host: '169.254.169.254', port: 80, what: 'webhook channel' })).resolves.toBeUndefined();
  });

  it('refuses with PGF_OUTBOUND_DENIED naming the destination and the variable', async () => {
    const check = createOutboundCheck(rules('db.internal:5432,10.0.0.0/8'), resolver({ 'db.corp': ['10.2.3.4'], 'mixed.corp': ['10.2.3.4', '192.0.2.9'] }));
    await expect(check({ host: 'db.internal', port: 5432, what: 'connection "a"' })).resolves.toBeUndefined();
    await expect(check({ host: 'db.corp', port: 5432, what: 'connection "b"' })).resolves.toBeUndefined();
    await expect(check({ host: '169.254.169.254', port: 80, what: 'webhook channel "x"' })).rejects.toMatchObject({
      code: 'PGF_OUTBOUND_DENIED',
      message: expect.stringMatching(/^webhook channel "x": 169\.254\.169\.254:80 is not on the outbound allow-list; add it to PGFERRY_OUTBOUND_ALLOW/),
    });
    await expect(check({ host: 'mixed.corp', port: 5432, what: 'connection "c"' })).rejects.toMatchObject({ code: 'PGF_OUTBOUND_DENIED', message: expect.stringContaining('192.0.2.9') });
    await expect(check({ host: 'nowhere.corp', port: 5432, what: 'connection "d"' })).rejects.toMatchObject({ code: 'PGF_OUTBOUND_DENIED', message: expect.stringContaining('does not resolve') });
    await expect(check({ host: '::1', port: 5432, what: 'connection "e"' })).rejects.toThrow('[::1]:5432');
  });

  it('finds where pg configs and URLs connect', () => {
    expect(pgDestination({ host: 'db', port: 6543 })).toEqual({ host: 'db', port: 6543 });
    expect(pgDestination({ host: 'db' })).toEqual({ host: 'db', port: 5432 });
    expect(pgDestination({ connectionString: 'postgres://u:p@[::1]:5433/x' })).toEqual({ host: '::1', port: 5433 });
    expect(pgDestination({ connectionString: 'postgres:///x?host=/var/run/postgresql' })).toEqual({ host: '/var/run/postgresql', port: 5432 });
    expect(urlDestination('https://hooks.example.com/path?token=1')).toEqual({ host: 'hooks.example.com', port: 443 });
    expect(urlDestination('http://127.0.0.1:8080/x')).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(urlDestination('http://[::1]/x')).toEqual({ host: '::1', port: 80 });
  });
});
