import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface MachineInfo {
  nproc: number;
  cpuModel: string;
  memoryBytes: number;
  ffmpeg: string;
  node: string;
  os: string;
  gitCommit: string;
  gitDirty: boolean;
  date: string;
}

function output(bin: string, args: string[]): string {
  try {
    return execFileSync(bin, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).trim();
  } catch {
    return 'unknown';
  }
}

export function machineInfo(): MachineInfo {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const meminfo = readFileSync('/proc/meminfo', 'utf8');
  const memKb = Number(/^MemTotal:\s+(\d+) kB/m.exec(meminfo)?.[1] ?? 0);
  return {
    nproc: Number(output('nproc', [])),
    cpuModel: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown',
    memoryBytes: memKb * 1024,
    ffmpeg: output('ffmpeg', ['-version']).split('\n')[0]?.split(' Copyright')[0] ?? 'unknown',
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    gitCommit: output('git', ['rev-parse', '--short', 'HEAD']),
    gitDirty: output('git', ['status', '--porcelain', '--untracked-files=no']) !== '',
    date: new Date().toISOString(),
  };
}
