import { spawn } from 'node:child_process';

/** Runs `<bin> -version`; resolves to a one-line message saying how to get it when it cannot run. */
export function checkBinary(bin: string, name: 'ffmpeg' | 'ffprobe', envVar: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn(bin, ['-version'], { stdio: 'ignore' });
    child.on('error', () =>
      resolve(`${name} was not found (${bin}): install it (Debian/Ubuntu: apt-get install ffmpeg) or set ${envVar} to its path.`),
    );
    child.on('exit', (code) => resolve(code === 0 ? undefined : `${bin} -version exited with code ${code}: is it a working ${name}?`));
  });
}
