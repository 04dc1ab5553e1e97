import { runProcess } from './process-runner.js';

await runProcess({ api: true, worker: true });
