import type { Router } from 'express';
import type { KeyService } from '../services/key.service.js';
import { SESSION_COOKIE } from './auth.middleware.js';
import { principalOf } from './principal.js';
import { defineRoutes, routerFrom } from './route-declarations.js';

export const sessionRoutes = defineRoutes({ base: '/api', access: 'apiKey', tag: 'session' }, {
  open: {
    method: 'post',
    path: '/session',
    scope: 'read',
    summary: 'Set a short-lived session cookie that authenticates GET and HEAD requests (event stream, video, images)',
    description:
      'For browsers: EventSource, <video> and <img> cannot send an Authorization header. The cookie (HttpOnly, SameSite=Strict, Path=/api, 12 hours) ' +
      'is accepted for GET and HEAD only and acts for the key that asked for it (it stops working when that key is revoked or expires); every other method still needs the bearer token. On an open server (no key) it sets nothing.',
    responses: { 204: { description: 'The cookie is set (when the request came with a key)', headers: { 'Set-Cookie': `${SESSION_COOKIE}=…` } } },
  },
});

export function sessionRouter(keys: KeyService): Router {
  return routerFrom(sessionRoutes, {
    open: async (req, res) => {
      const session = await keys.issueSession(principalOf(req));
      if (session) {
        res.cookie(SESSION_COOKIE, session.token, {
          httpOnly: true,
          sameSite: 'strict',
          secure: req.secure,
          path: '/api',
          expires: new Date(session.expiresAt),
        });
      }
      res.status(204).end();
    },
  });
}
