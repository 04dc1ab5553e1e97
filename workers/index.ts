import { runProcess } from '../src/process-runner.js';

await runProcess({ api: false, worker: true });
