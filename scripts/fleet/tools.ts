import { access, constants } from 'node:fs/promises';
import path from 'node:path';

export class MissingToolError extends Error {}

/** Debian puts both in /usr/sbin, which a normal user's PATH may lack. */
const DIRECTORIES = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin'];

/** The path of `name` (haproxy, pgbouncer), or a one-line error that says what to install. */
export async function findTool(name: 'haproxy' | 'pgbouncer'): Promise<string> {
  for (const dir of DIRECTORIES) {
    if (!dir) continue;
    const file = path.join(dir, name);
    if (await access(file, constants.X_OK).then(() => true, () => false)) return file;
  }
  throw new MissingToolError(`${name} is not installed: run \`sudo apt-get install -y haproxy pgbouncer\` (Debian, Ubuntu) or your system's equivalent`);
}
