/** Types of run.mjs (plain JavaScript, so that it runs without a TypeScript loader). */
export declare const NODE_FLAGS: string[];
export declare function launchArgs(entry: string, args?: string[]): string[];
export declare function buildEntry(entry: string): Promise<string>;
