import { Router, type Response } from 'express';
import { z } from 'zod';
import { TenantQuery } from './schemas.js';
import type { EventFeed, FeedEvent } from '../outbox/event-feed.js';
import type { Drain } from './drain.js';
import { tenantFilterOf } from './principal.js';
import { defineRoutes } from './route-declarations.js';

// The SSE handler is registered by hand below (it writes a stream, not one response); the route
// test checks that it matches this declaration.
export const eventRoutes = defineRoutes({ base: '/api', access: 'apiKey', tag: 'events' }, {
  stream: {
    method: 'get',
    path: '/events',
    summary: 'Server-Sent Events: `job` and `video` events on every status or progress change',
    description:
      "Only the caller's tenant's events (an admin key: every tenant's, or `?tenant=`'s). " +
      'Each event is `id: <event id>`, `event: job|video` and `data:` the Job or Video resource. A client that reconnects with the `Last-Event-ID` header first receives the events it missed (kept for OUTBOX_RETENTION_HOURS). A `: keep-alive` comment every 15 s keeps the stream open.',
    query: z.object({ tenant: TenantQuery }),
    responses: { 200: { description: 'An event stream that stays open', content: { 'text/event-stream': { type: 'string' } } } },
  },
});

const KEEP_ALIVE_MS = 15_000;

function send(res: Response, e: FeedEvent): void {
  res.write(`id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e.data)}\n\n`);
}

/** The event id a reconnecting client last saw; anything else is ignored. */
function lastEventId(header: string | undefined): number | undefined {
  if (!header || !/^\d{1,15}$/.test(header.trim())) return undefined;
  return Number(header.trim());
}

/**
 * GET /api/events: Server-Sent Events, one `job` or `video` event per change, each with the id of
 * its outbox row. A client that reconnects with Last-Event-ID first gets what it missed.
 */
export function eventsRouter(feed: EventFeed, drain: Drain): Router {
  const r = Router();
  r.get('/events', async (req, res) => {
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('Connection', 'keep-alive');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    res.write('retry: 2000\n: connected\n\n');
    drain.stream(res);

    // Live events that arrive while the replay is read wait here, so none is lost or sent twice.
    const tenant = tenantFilterOf(req);
    const mine = (e: FeedEvent) => tenant === null || e.tenantId === tenant;
    let held: FeedEvent[] | undefined = [];
    const off = feed.on((e) => {
      if (!mine(e)) return;
      if (held) held.push(e);
      else send(res, e);
    });
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
    keepAlive.unref();
    req.on('close', () => {
      clearInterval(keepAlive);
      off();
    });

    const since = lastEventId(req.header('last-event-id'));
    if (since !== undefined) {
      const missed = await feed.replay(since, feed.position()).catch(() => undefined);
      if (missed === undefined) res.write(': the events before this point are no longer kept\n\n');
      for (const e of missed ?? []) if (mine(e)) send(res, e);
    }
    for (const e of held) send(res, e);
    held = undefined;
  });
  return r;
}
