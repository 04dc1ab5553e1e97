export type RangeResult =
  | { kind: 'none' }
  | { kind: 'single'; start: number; end: number }
  | { kind: 'unsatisfiable' };

/**
 * Parses a `Range` header for a file of `size` bytes. One byte range is served as 206; several
 * ranges are answered with the whole file (RFC 9110 lets a server ignore Range); a malformed or
 * unsatisfiable bytes range is 416.
 */
export function parseRange(header: string | undefined, size: number): RangeResult {
  if (header === undefined) return { kind: 'none' };
  const m = /^\s*bytes\s*=\s*(.+)$/i.exec(header);
  if (!m) return { kind: 'unsatisfiable' };
  const specs = m[1]!.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (specs.length === 0) return { kind: 'unsatisfiable' };
  const parsed = specs.map((s) => parseSpec(s, size));
  if (parsed.some((p) => p === 'malformed')) return { kind: 'unsatisfiable' };
  const satisfiable = parsed.filter((p): p is { start: number; end: number } => p !== 'malformed' && p !== null);
  if (satisfiable.length === 0) return { kind: 'unsatisfiable' };
  if (specs.length > 1) return { kind: 'none' };
  return { kind: 'single', ...satisfiable[0]! };
}

function parseSpec(spec: string, size: number): { start: number; end: number } | null | 'malformed' {
  const m = /^(\d*)\s*-\s*(\d*)$/.exec(spec);
  if (!m || (m[1] === '' && m[2] === '')) return 'malformed';
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (!Number.isSafeInteger(suffix)) return 'malformed';
    if (suffix === 0 || size === 0) return null;
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Number(m[2]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) return 'malformed';
  if (start >= size) return null;
  return { start, end: Math.min(end, size - 1) };
}
