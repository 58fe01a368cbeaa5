import {PGlite} from '@electric-sql/pglite';
const dir = process.argv[2], tag = process.argv[3];
const pg = await PGlite.create(dir);
await pg.exec('CREATE TABLE IF NOT EXISTS t (id serial primary key, who text)');
for (let i = 0; i < 200; i++) await pg.query('INSERT INTO t (who) VALUES ($1)', [tag]);
const r = await pg.query('SELECT who, count(*)::int n FROM t GROUP BY who ORDER BY who');
console.log(tag, 'sees', JSON.stringify(r.rows));
await new Promise(r => setTimeout(r, 3000));
await pg.close();
