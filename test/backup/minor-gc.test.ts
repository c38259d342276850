import { setImmediate as tick } from 'node:timers/promises';

import { describe, expect, it } from 'vitest';

import { minorGc } from '../../src/engine/archive/minor-gc.js';

const mib = 1024 * 1024;

describe('minorGc', () => {
  it('frees dead buffers at once, without putting gc on the global object', async () => {
    minorGc();
    const before = process.memoryUsage().arrayBuffers;
    // Six dead 4 MiB buffers: too few for V8 to collect them by itself.
    for (let index = 0; index < 6; index += 1) new Uint8Array(4 * mib).fill(index);
    expect(process.memoryUsage().arrayBuffers - before).toBeGreaterThanOrEqual(20 * mib);
    minorGc();
    // The buffers' memory is released by a sweeper that may finish a moment later. One or two may
    // survive (an earlier collection moved them out of the young generation, or the last is
    // still on the stack); without the collection all six stay.
    for (let wait = 0; wait < 100 && process.memoryUsage().arrayBuffers - before > 12 * mib; wait += 1) await tick();
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThanOrEqual(12 * mib);
    expect('gc' in globalThis).toBe(false);
  });
});
