import { Router } from 'express';
import type { EventBus } from '../events/event-bus.js';

/** GET /api/events: Server-Sent Events, one `job` or `video` event per change, with a heartbeat. */
export function eventsRouter(bus: EventBus): Router {
  const r = Router();
  r.get('/events', (req, res) => {
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('Connection', 'keep-alive');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    res.write('retry: 2000\n: connected\n\n');
    let seq = 0;
    const off = bus.on((e) => {
      seq += 1;
      res.write(`id: ${seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e.data)}\n\n`);
    });
    const heartbeat = setInterval(() => res.write(': ping\n\n'), 15_000);
    heartbeat.unref();
    req.on('close', () => {
      clearInterval(heartbeat);
      off();
    });
  });
  return r;
}
