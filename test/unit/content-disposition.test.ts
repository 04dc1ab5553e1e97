import { describe, expect, it } from 'vitest';
import { attachmentDisposition } from '../../src/http/content-disposition.js';

describe('attachmentDisposition', () => {
  it('when the name is plain ASCII, then it is used as is', () => {
    expect(attachmentDisposition('clip.mp4')).toBe(`attachment; filename="clip.mp4"; filename*=UTF-8''clip.mp4`);
  });

  it.each(['a"b.mp4', 'a\r\nSet-Cookie: x.mp4', '../../etc/passwd.mp4', 'a\\b.mp4', 'x;y%z.mp4'])(
    'when the name is %j, then the header has no quote, newline, separator or traversal',
    (name) => {
      const header = attachmentDisposition(name);
      const ascii = /filename="([^"]*)"/.exec(header)![1]!;
      expect(ascii).not.toMatch(/["\r\n\\/;%]/);
      expect(header).not.toMatch(/[\r\n]/);
      expect(ascii.startsWith('.')).toBe(false);
    },
  );

  it('when the name is not ASCII, then filename* carries it exactly', () => {
    const header = attachmentDisposition('vidéo été.mp4');
    expect(header).toContain('filename="vid_o _t_.mp4"');
    expect(decodeURIComponent(header.split("UTF-8''")[1]!)).toBe('vidéo été.mp4');
  });
});
