/**
 * One process per PGlite data directory (DESIGN.md §3): PGlite is an embedded,
 * single-process PostgreSQL, and two processes writing one directory corrupt it.
 * The lock is a file holding the owner's PID, created atomically; a lock left by
 * a process that no longer exists (kill -9) is taken over.
 */
import {readFileSync, unlinkSync, writeFileSync} from 'node:fs';

/** Thrown when another live process holds the directory. */
export class DirectoryInUseError extends Error {
  constructor(readonly dir: string, readonly pid: number) {
    super(`The data directory ${dir} is in use by another Laurel process (pid ${pid}). ` +
      'PGlite allows one process per data directory: stop that process, or use DATABASE_URL (PostgreSQL) to run several.');
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch(error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock for `dir`; returns a release function. */
export function lockDirectory(dir: string): () => void {
  const path = `${dir}.lock`;
  for(let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(path, String(process.pid), {flag: 'wx'});
      let released = false;
      const release = () => {
        if(released) return;
        released = true;
        process.off('exit', release);
        try {
          if(readFileSync(path, 'utf8') === String(process.pid)) unlinkSync(path);
        } catch { /* already gone */ }
      };
      process.on('exit', release);
      return release;
    } catch(error) {
      if((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number(readFileSync(path, 'utf8').trim());
      if(Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) throw new DirectoryInUseError(dir, pid);
      if(pid === process.pid) throw new DirectoryInUseError(dir, pid);
      // Stale: its owner is gone. Remove it and try again (another starter may win the race).
      try { unlinkSync(path); } catch { /* raced */ }
    }
  }
  throw new Error(`Could not lock the data directory ${dir}`);
}
