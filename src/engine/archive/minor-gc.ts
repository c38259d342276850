import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/*
 * A minor garbage collection, on demand. V8 collects ArrayBuffers that are garbage only when
 * its heap needs it or their memory passes ~64 MiB: a thread that allocates little on its heap
 * but hands many multi-megabyte buffers on (compressed frames) holds dozens of dead ones.
 * --expose-gc set at run time reaches contexts made afterwards (set on first use, so a process
 * that never needs this never has it); without it, a no-op. The restore threads have the same
 * in their inline source (chunk-workers.ts), which cannot import.
 */
let collect: (() => void) | undefined;

export function minorGc(): void {
  if (!collect) {
    try {
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as (options: { type: 'minor' }) => void;
      collect = () => gc({ type: 'minor' });
    } catch {
      collect = () => undefined;
    }
  }
  collect();
}
