import { runProcess } from '../src/process-runner.js';
import { startWorker } from './worker.js';

// `npm run start:worker`: a worker only, sharing DATABASE_URL and REDIS_URL with the API.
await runProcess({ api: false, worker: startWorker });
