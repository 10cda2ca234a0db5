import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findDashboardAssets } from './dashboard-assets';

describe('findDashboardAssets', () => {
  let root: string;

  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'dashboard-assets-'));
  });

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const build = (dir: string) => {
    mkdirSync(path.join(dir, 'dist', 'dashboard'), { recursive: true });
    writeFileSync(path.join(dir, 'dist', 'dashboard', 'index.html'), '<!doctype html>');
  };

  it('finds dist/dashboard in the nearest folder above that has one: sources (ts-node), nest build output, the image', () => {
    build(root);
    const sources = path.join(root, 'apps', 'analytics-gateway', 'src', 'dashboard');
    const compiled = path.join(root, 'dist', 'apps', 'analytics-gateway', 'apps', 'analytics-gateway', 'src', 'dashboard');
    mkdirSync(sources, { recursive: true });
    mkdirSync(compiled, { recursive: true });
    expect(findDashboardAssets(sources)).toBe(path.join(root, 'dist', 'dashboard'));
    expect(findDashboardAssets(compiled)).toBe(path.join(root, 'dist', 'dashboard'));
  });

  it('ignores a dist/dashboard without index.html, and is undefined when the page was never built', () => {
    mkdirSync(path.join(root, 'dist', 'dashboard'), { recursive: true });
    expect(findDashboardAssets(path.join(root, 'apps'))).toBeUndefined();
  });
});
