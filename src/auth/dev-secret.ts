import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Dev mode: a secret generated once into DATA_DIR, so tokens survive restarts. `created` says
 * whether this call generated it (the start-up text says "generated" or "reused" accordingly).
 */
export async function devSecret(dataDir: string): Promise<{ secret: string; created: boolean }> {
  const file = path.join(dataDir, 'jwt-secret');
  try {
    return { secret: (await readFile(file, 'utf8')).trim(), created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(dataDir, { recursive: true });
  let created = true;
  await writeFile(file, randomBytes(32).toString('base64url') + '\n', { mode: 0o600, flag: 'wx' }).catch(async (error) => {
    // Another instance created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    created = false;
  });
  return { secret: (await readFile(file, 'utf8')).trim(), created };
}

export async function loadOrCreateDevSecret(dataDir: string): Promise<string> {
  return (await devSecret(dataDir)).secret;
}
