import { describe, expect, it } from 'vitest';

import { DurablePositions } from '../../src/engine/follow/durable-position.js';

describe('DurablePositions', () => {
  it('confirms a position only once the destination WAL is flushed past its commit, in commit order', () => {
    const durable = new DurablePositions(null);
    expect(durable.position).toBeNull();
    durable.committed(100n, 1000n);
    durable.committed(200n, 2000n);
    expect(durable.waiting).toBe(true);
    durable.flushed(999n);
    expect(durable.position).toBeNull();
    durable.flushed(1500n);
    expect(durable.position).toBe(100n);
    durable.flushed(1200n); // an older report (answers of another query) changes nothing
    durable.committed(300n, 2500n);
    durable.flushed(2200n);
    expect(durable.position).toBe(200n);
    expect(durable.waitingSince).not.toBeNull();
    durable.flushed(2500n);
    expect(durable.position).toBe(300n);
    expect(durable.waitingSince).toBeNull();
    expect(durable.waiting).toBe(false);
  });

  it('starts from a position known durable (synchronous commit)', () => {
    const durable = new DurablePositions(50n);
    expect(durable.position).toBe(50n);
    durable.committed(60n, 0n);
    expect(durable.position).toBe(60n);
  });
});
