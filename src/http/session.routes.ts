import type { Router } from 'express';
import { issueSessionToken, SESSION_COOKIE } from './auth.middleware.js';
import { defineRoutes, routerFrom } from './route-declarations.js';

export const sessionRoutes = defineRoutes({ base: '/api', access: 'apiKey', tag: 'session' }, {
  open: {
    method: 'post',
    path: '/session',
    summary: 'Set a short-lived session cookie that authenticates GET and HEAD requests (event stream, video, images)',
    description:
      'For browsers: EventSource, <video> and <img> cannot send an Authorization header. The cookie (HttpOnly, SameSite=Strict, Path=/api, 12 hours) ' +
      'is accepted for GET and HEAD only; every other method still needs the bearer token. Without API_KEY it sets nothing.',
    responses: { 204: { description: 'The cookie is set (when the server has an API key)', headers: { 'Set-Cookie': `${SESSION_COOKIE}=…` } } },
  },
});

export function sessionRouter(apiKey: string | undefined): Router {
  return routerFrom(sessionRoutes, {
    open: (req, res) => {
      if (apiKey) {
        const { token, expiresAt } = issueSessionToken(apiKey);
        res.cookie(SESSION_COOKIE, token, {
          httpOnly: true,
          sameSite: 'strict',
          secure: req.secure,
          path: '/api',
          expires: new Date(expiresAt),
        });
      }
      res.status(204).end();
    },
  });
}
