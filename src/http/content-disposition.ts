/**
 * `attachment` with an ASCII fallback name (no quotes, backslashes, control characters or path
 * separators) and the exact UTF-8 name in `filename*` (RFC 6266 / RFC 8187).
 */
export function attachmentDisposition(filename: string): string {
  const cleaned = filename
    .normalize('NFC')
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .replace(/[\\/]/g, '_')
    .replace(/^\.+/, '')
    .trim();
  const name = cleaned || 'video';
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["%;]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
