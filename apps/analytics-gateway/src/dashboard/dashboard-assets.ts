import { existsSync } from 'node:fs';
import * as path from 'node:path';

/** Where `npm run build:dashboard` writes the page, relative to the repository (or image) root. */
export const DASHBOARD_BUILD_DIR = path.join('dist', 'dashboard');

/**
 * The built dashboard folder: the first `dist/dashboard` holding an index.html among the folders
 * above `from`. The gateway runs from its sources (ts-node, `npm run stack`), from `nest build`'s
 * output under dist/apps, or from /app/dist in the image, and each of those has the build output
 * in an ancestor's dist/dashboard. Undefined when the page was not built.
 */
export function findDashboardAssets(from: string = __dirname): string | undefined {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, DASHBOARD_BUILD_DIR);
    if (existsSync(path.join(candidate, 'index.html'))) return candidate;
    if (path.dirname(dir) === dir) return undefined;
  }
}
