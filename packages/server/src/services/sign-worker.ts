/**
 * A signing worker thread (services/sign-pool.ts): signs credentials with the key it is
 * handed (a node:crypto KeyObject, passed by postMessage), on its own Canonicalizer.
 * Bundled with esbuild for Node, so it runs without the TypeScript loader.
 */
import {nodeCryptoPorts} from '@laurel/core/node';
import {parentPort} from 'node:worker_threads';
import {Canonicalizer, createDocumentLoader} from '@laurel/core';
import {type SignTask, signTasks} from './sign-task.js';

const canonicalizer = new Canonicalizer(createDocumentLoader(), nodeCryptoPorts());

parentPort?.on('message', async (message: {id: number; tasks: SignTask[]}) => {
  try {
    parentPort!.postMessage({id: message.id, signed: await signTasks(message.tasks, canonicalizer)});
  } catch(error) {
    parentPort!.postMessage({id: message.id, error: (error as Error)?.message ?? String(error)});
  }
});
