import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { isPrivateAddress } from '../../src/webhooks/address-guard.js';
import { send } from '../../src/webhooks/sender.js';
import { generateSecret, signatureHeaders } from '../../src/webhooks/signing.js';

describe('webhook signatures', () => {
  it('when a body is signed, then the standardwebhooks package verifies it, and not with another secret', () => {
    const secret = generateSecret();
    const body = JSON.stringify({ id: 'evt', type: 'job.completed', createdAt: new Date().toISOString(), data: { id: 'x' } });
    const headers = signatureHeaders(secret, 'msg_1', body);
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(generateSecret()).verify(body, headers)).toThrow();
    expect(() => new Webhook(secret).verify(`${body} `, headers)).toThrow();
  });
});

describe('receiver addresses', () => {
  it('when an address is loopback, private, link-local or unspecified, then it is private; public ones are not', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '0.0.0.0', '100.64.0.1', '::1', '::', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1'])
      expect(isPrivateAddress(a), a).toBe(true);
    for (const a of ['93.184.216.34', '8.8.8.8', '2606:4700::1111', '172.32.0.1']) expect(isPrivateAddress(a), a).toBe(false);
  });

  it('when a URL resolves to a private address and private receivers are not allowed, then nothing is sent', async () => {
    for (const url of ['http://127.0.0.1:9/hook', 'http://localhost:9/hook']) {
      const result = await send(url, {}, '{}', { timeoutMs: 2_000, allowPrivate: false });
      expect(result, url).toMatchObject({ error: expect.stringMatching(/private address/) });
    }
  });
});
