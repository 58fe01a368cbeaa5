/**
 * `laurel worker` (`npm run worker`): runs Laurel's background jobs — bulk issuance, email,
 * bulk revocation — and the status list sweep against DATABASE_URL, without serving HTTP.
 * Run as many as you like next to API processes started with LAUREL_WORKERS=0. On the
 * embedded database the server runs the jobs itself, and no second process may open it.
 */
import {loadConfig} from './config.js';
import {loadMasterKey} from './crypto/master-key.js';
import {openDatabase} from './db/open.js';
import {createServices, laurelOptions} from './laurel.js';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const log = (msg: string) => console.log(`[laurel worker] ${msg}`);
  if(!config.databaseUrl) {
    console.error('[laurel worker] needs DATABASE_URL (PostgreSQL). With the embedded database, `npm start` runs the jobs in the server process.');
    process.exit(2);
  }
  const db = await openDatabase({databaseUrl: config.databaseUrl, dataDir: config.dataDir, pgliteSharedBuffers: config.pgliteSharedBuffers});
  const masterKey = loadMasterKey(config.masterKey, config.dataDir, log);
  const options = laurelOptions(config, db, masterKey);
  const services = createServices({...options, jobs: {...options.jobs, workers: true}});
  await services.audit.init();
  await services.jobs.start();
  services.lifecycle.start();
  log(`Email: ${services.email.describe()}.`);
  let closing = false;
  const shutdown = async (signal: string) => {
    if(closing) return;
    closing = true;
    log(`${signal}: finishing the jobs in hand`);
    services.lifecycle.stop();
    await services.jobs.stop();
    await services.credentials.close();
    await services.email.close();
    await db.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  log('Laurel worker is running');
}

main().catch(error => {
  console.error(`[laurel worker] failed to start: ${error?.message ?? error}`);
  process.exit(1);
});
