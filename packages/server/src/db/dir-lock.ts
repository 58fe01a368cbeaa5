/**
 * One process per PGlite data directory (DESIGN.md §3): PGlite is an embedded,
 * single-process PostgreSQL, and two processes writing one directory lose data
 * (seen in tests: each kept its own view, the last one to close won).
 *
 * The lock file holds the owner's PID and its start time (Linux /proc), created
 * atomically. A lock whose owner is gone, or whose PID now belongs to another
 * process (a restarted container gets the same PID), is stale and taken over.
 */
import {existsSync, readFileSync, renameSync, unlinkSync, writeFileSync} from 'node:fs';

/** Thrown when another live process holds the directory. */
export class DirectoryInUseError extends Error {
  constructor(readonly dir: string, readonly pid: number) {
    super(`The data directory ${dir} is in use by another Laurel process (pid ${pid}). ` +
      'PGlite allows one process per data directory: stop that process, or use DATABASE_URL (PostgreSQL) to run several.');
  }
}

/** Directories this process holds: a second open in the same process is refused too. */
const held = new Set<string>();

/** A process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat), or null off Linux. */
function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: count fields after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
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

/** Whether the owner recorded in a lock file is still the process running under that PID. */
function ownerAlive(content: string): {alive: boolean; pid: number} {
  const [pidText, started] = content.trim().split(' ');
  const pid = Number(pidText);
  if(!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return {alive: false, pid};
  if(pid === process.pid) return {alive: false, pid}; // our PID, but we do not hold it: a previous life of this PID
  const now = startTime(pid);
  // Off Linux there is no start time to compare: a live PID counts as the owner.
  return {alive: now === null || started === undefined || now === started, pid};
}

/** Takes the lock for `dir`; returns a release function. */
export function lockDirectory(dir: string): () => void {
  if(held.has(dir)) throw new DirectoryInUseError(dir, process.pid);
  const path = `${dir}.lock`;
  const mine = `${process.pid} ${startTime(process.pid) ?? ''}`.trim();
  for(let attempt = 0; attempt < 5; attempt++) {
    try {
      writeFileSync(path, mine, {flag: 'wx'});
      held.add(dir);
      let released = false;
      const release = () => {
        if(released) return;
        released = true;
        held.delete(dir);
        process.off('exit', release);
        try {
          if(readFileSync(path, 'utf8') === mine) unlinkSync(path);
        } catch { /* already gone */ }
      };
      process.on('exit', release);
      return release;
    } catch(error) {
      if((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let content: string;
    try {
      content = readFileSync(path, 'utf8');
    } catch {
      continue; // removed meanwhile: try again
    }
    const owner = ownerAlive(content);
    if(owner.alive) throw new DirectoryInUseError(dir, owner.pid);
    // Stale. Move it aside atomically (only one contender's rename succeeds), then
    // check that what we moved is the stale lock we judged, not a contender's fresh one.
    const aside = `${path}.stale-${process.pid}-${attempt}`;
    try {
      renameSync(path, aside);
    } catch {
      continue;
    }
    const moved = readFileSync(aside, 'utf8');
    if(moved !== content) {
      // We took a fresh lock: give it back if we can, and report the directory busy.
      if(!existsSync(path)) renameSync(aside, path);
      throw new DirectoryInUseError(dir, Number(moved.split(' ')[0]));
    }
    unlinkSync(aside);
  }
  throw new Error(`Could not lock the data directory ${dir}`);
}
