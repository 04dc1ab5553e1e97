import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import type { Sql } from 'postgres';

/** Local TCP ports of the sockets that `pid` holds open to `remotePort` (from /proc, Linux only). */
export function localPortsTo(pid: number, remotePort: number): number[] {
  const inodes = new Set<string>();
  let fds: string[] = [];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  const ports: number[] = [];
  for (const table of ['tcp', 'tcp6']) {
    let text = '';
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10) continue;
      const local = Number.parseInt(cols[1]!.split(':')[1]!, 16);
      const remote = Number.parseInt(cols[2]!.split(':')[1]!, 16);
      if (remote === remotePort && inodes.has(cols[9]!)) ports.push(local);
    }
  }
  return ports;
}

/**
 * Terminates the PostgreSQL backends serving the given processes only (their application_name is
 * 'video-jobs', as for every other test running on the same server at the same time, so the name
 * alone would hit those too): matched by the client's local port. Returns how many were ended.
 */
export async function terminateBackendsOf(admin: Sql, pids: number[], applicationName = 'video-jobs', pgPort = 5432): Promise<number> {
  const ports = pids.flatMap((p) => localPortsTo(p, pgPort));
  if (ports.length === 0) return 0;
  const rows = await admin<{ ended: boolean }[]>`
    SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity
    WHERE application_name = ${applicationName} AND client_port = ANY(${ports}::int[]) AND pid <> pg_backend_pid()`;
  return rows.filter((r) => r.ended).length;
}
