import { runProcess } from '../src/process-runner.js';
import { startWorker } from './worker.js';

// `npm start`: the API and a worker in one process. It lives here, beside the worker it starts,
// because nothing in src/ imports workers/.
await runProcess({ api: true, worker: startWorker });
