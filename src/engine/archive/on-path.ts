import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/**
 * Whether `tool` is an executable file in a directory of PATH. No process is started: a fork
 * of a large Node process costs tens of milliseconds, paid before a backup's first byte.
 */
export function onPath(tool: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => {
    if (!dir) return false;
    try {
      accessSync(path.join(dir, tool), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
