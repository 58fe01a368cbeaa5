/** @laurel/server: the HTTP API, public pages and database. */
export {loadConfig, type Config} from './config.js';
export {openDatabase} from './db/open.js';
export type {Database} from './db/database.js';
export {createLaurel, createServices, type LaurelOptions, type Services} from './laurel.js';
export {seedDemo} from './demo.js';
