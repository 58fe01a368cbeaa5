// Spawns the real `laurel` launcher as a child process: what a user runs, no mocks.
import {execFile} from 'node:child_process';
import {fileURLToPath} from 'node:url';

const BIN = fileURLToPath(new URL('../bin/laurel.js', import.meta.url));

/** How a CLI run ended. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/laurel.js ...args` asynchronously (so an in-process test server can answer it). */
export function runCli(args: string[]): Promise<CliRun> {
  return new Promise(resolve => {
    const child = execFile(process.execPath, [BIN, ...args], {encoding: 'utf8'}, (error, stdout, stderr) => {
      resolve({code: child.exitCode ?? (error as {code?: number} | null)?.code ?? null, stdout, stderr});
    });
  });
}
