// Maps SFTP paths onto a local root folder; neither "../" nor a symlink can lead outside it.
import { realpath } from 'node:fs/promises';
import { join, posix, sep } from 'node:path';

export class JailError extends Error {
  override readonly name = 'JailError';
}

export class Jail {
  private constructor(private readonly realRoot: string) {}

  static async open(root: string): Promise<Jail> {
    return new Jail(await realpath(root));
  }

  /** The canonical SFTP path: absolute, normalised, relative paths taken from "/" (the login directory). */
  virtual(path: string): string {
    return posix.normalize(posix.join('/', path));
  }

  /** The local path for an SFTP path, after checking its deepest existing ancestor resolves inside the root. */
  async local(path: string): Promise<string> {
    const local = join(this.realRoot, this.virtual(path));
    let probe = local;
    for (;;) {
      try {
        const real = await realpath(probe);
        if (real !== this.realRoot && !real.startsWith(this.realRoot + sep)) throw new JailError(`${path} resolves outside the served folder`);
        return local;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || probe === this.realRoot) throw error;
        probe = join(probe, '..');
      }
    }
  }
}
