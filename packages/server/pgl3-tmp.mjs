import {PGlite} from '@electric-sql/pglite';
const dir = process.argv[2];
const pg = await PGlite.create(dir);
await pg.exec('CREATE TABLE IF NOT EXISTS t (id serial primary key, who text)');
for (let i = 0; i < 50; i++) await pg.query('INSERT INTO t (who) VALUES ($1)', ['x']);
await pg.transaction(async tx => { await tx.query("INSERT INTO t (who) VALUES ('tx')"); });
console.log('inserted, killing');
process.kill(process.pid, 'SIGKILL');
