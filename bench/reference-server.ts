import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';

// The floor for the download row: node:http streaming the file with nothing else in the way.
const file = process.argv[2];
if (!file) throw new Error('usage: reference-server.ts <file>');
const size = statSync(file).size;
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
  createReadStream(file).pipe(res);
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${typeof address === 'object' && address ? address.port : 0}\n`);
});
process.on('SIGTERM', () => process.exit(0));
