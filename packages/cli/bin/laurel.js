#!/usr/bin/env node
// The `laurel` launcher: runs the TypeScript sources through tsx (a root
// devDependency), so there is no build step. tsconfig: false keeps a tsconfig in
// the caller's working directory from changing how Laurel's own code compiles.
import {register} from 'tsx/esm/api';

register({tsconfig: false});
const {run} = await import('../src/main.ts');
process.exitCode = await run(process.argv.slice(2));
