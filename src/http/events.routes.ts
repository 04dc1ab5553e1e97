import { Router } from 'express';
import type { EventBus } from '../events/event-bus.js';
import { defineRoutes } from './route-declarations.js';

// The SSE handler is registered by hand below (the feed behind it is being reworked); the route
// test checks that it matches this declaration.
export const eventRoutes = defineRoutes({ base: '/api', access: 'apiKey', tag: 'events' }, {
  stream: {
    method: 'get',
    path: '/events',
    summary: 'Server-Sent Events: `job` and `video` events on every status or progress change',
    description: 'Each event is `event: job|video` with `data:` the Job or Video resource; a comment line every 15 s keeps the stream open.',
    responses: { 200: { description: 'An event stream that stays open', content: { 'text/event-stream': { type: 'string' } } } },
  },
});

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
