import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { devSecret } from '../src/auth/dev-secret.js';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));
const freshDir = async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'opsgraph-dev-secret-'));
  dirs.push(dir);
  return dir;
};

// The start-up text says "generated" or "kept" from `created`: a restart must not claim a new secret.
describe('the dev-mode secret', () => {
  it('is generated once, then kept across starts', async () => {
    const dir = await freshDir();
    const first = await devSecret(dir);
    const second = await devSecret(dir);
    expect(first.created).toBe(true);
    expect(second).toEqual({ secret: first.secret, created: false });
    expect(first.secret.length).toBeGreaterThanOrEqual(32);
  });

  it('made by instances starting at once: one generates it, all use the same', async () => {
    const dir = await freshDir();
    const all = await Promise.all(Array.from({ length: 8 }, () => devSecret(dir)));
    expect(new Set(all.map((one) => one.secret)).size).toBe(1);
    expect(all.filter((one) => one.created).length).toBe(1);
  });
});
