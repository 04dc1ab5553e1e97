import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  headers: Record<string, string>;
  body: string;
  event: { id: string; type: string; createdAt: string; data: any };
  answeredWith: number;
}

/** A webhook receiver on loopback: records every request and answers with the next scripted status (200 when none is left). */
export class WebhookReceiver {
  readonly received: Received[] = [];
  private script: number[] = [];
  private server: http.Server | undefined;

  static async start(port = 0): Promise<WebhookReceiver> {
    const r = new WebhookReceiver();
    await r.listen(port);
    return r;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/hook`;
  }

  get port(): number {
    return (this.server!.address() as AddressInfo).port;
  }

  /** The next answers, in order. */
  answer(...statuses: number[]): void {
    this.script.push(...statuses);
  }

  async listen(port: number): Promise<void> {
    this.server = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        const status = this.script.shift() ?? 200;
        const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
        this.received.push({ headers, body, event: JSON.parse(body), answeredWith: status });
        res.writeHead(status, { 'content-type': 'text/plain' }).end(`answered ${status}`);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', () => resolve()));
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** The accepted (2xx) deliveries about one job or video. */
  about(subjectId: string): Received[] {
    return this.received.filter((r) => r.answeredWith < 300 && r.event.data?.id === subjectId);
  }

  async waitFor(predicate: (r: Received[]) => boolean, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.received)) {
      if (Date.now() > deadline) throw new Error(`webhook receiver: condition not met in ${timeoutMs} ms; got ${JSON.stringify(this.received.map((r) => [r.event.type, r.event.data?.id?.slice(0, 8), r.answeredWith]))}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
