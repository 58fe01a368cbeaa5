/** `npm start`: the API, the public pages and the job worker, in one process. */
import {loadConfig} from './config.js';
import {loadMasterKey} from './crypto/master-key.js';
import {openDatabase} from './db/open.js';
import {seedDemo} from './demo.js';
import {startTestStepsJob, TEST_JOB_QUEUE_OPTIONS} from './jobs/test-steps.js';
import {createLaurel, laurelOptions} from './laurel.js';
import {browserBundle} from './pages/browser-bundle.js';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const log = (msg: string) => console.log(`[laurel] ${msg}`);
  const db = await openDatabase({databaseUrl: config.databaseUrl, dataDir: config.dataDir, pgliteSharedBuffers: config.pgliteSharedBuffers});
  log(config.databaseUrl ? 'Database: PostgreSQL (DATABASE_URL), migrations applied.' : `Database: embedded PGlite in ${config.dataDir}/pgdata.`);
  const masterKey = loadMasterKey(config.masterKey, config.dataDir, log);
  // Process tests only: a long test job to kill -9 half way (jobs/test-steps.ts).
  const testJobs = process.env.LAUREL_TEST_JOBS === '1';
  const {app, services} = await createLaurel({
    ...laurelOptions(config, db, masterKey), adminToken: config.adminToken, trustProxy: config.trustProxy, logger: {level: config.logLevel},
    ...(testJobs ? {jobs: TEST_JOB_QUEUE_OPTIONS} : {}),
  });
  if(!config.workers) log('Background jobs: not run here (LAUREL_WORKERS=0); run `laurel worker` processes.');
  log(`Email: ${services.email.describe()}.`);
  if(config.demo) {
    const demo = await seedDemo(services, config.databaseUrl ? null : config.dataDir);
    if(demo.created) {
      log('Created the demo issuer "Laurel Demo Academy".');
      log(`Demo API key (shown once${demo.keyFile ? `; also saved in ${demo.keyFile}` : ''}): ${demo.apiKey}`);
      log(`Sample credential: ${demo.credentialUrl}`);
    } else {
      log(`Demo issuer: ${config.publicUrl}/issuers/${demo.organizationSlug}/did.json${demo.keyFile ? ` (API key in ${demo.keyFile})` : ''}`);
    }
  }
  if(testJobs) await startTestStepsJob(db, services.jobs, (await services.organizations.find('slug', 'demo'))?.id, log);
  let closing = false;
  const shutdown = async (signal: string) => {
    if(closing) return;
    closing = true;
    log(`${signal}: shutting down`);
    await app.close();
    await db.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  await app.listen({port: config.port, host: config.host});
  // Status lists published within a second of any change, suspensions lifted when they run out.
  services.lifecycle.start();
  // Build the browser verifier now rather than on the first visitor's page view.
  void browserBundle(error => log(`The browser verifier could not be built; pages are served without it: ${(error as Error).message}`));
  log(`Laurel is running at ${config.publicUrl}`);
}

main().catch(error => {
  console.error(`[laurel] failed to start: ${error?.message ?? error}`);
  process.exit(1);
});
