import { runProcess } from './process-runner.js';

// `npm run start:api`: the API only; workers run apart (`npm run start:worker`).
await runProcess({ api: true });
