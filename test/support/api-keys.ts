import { mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { hashApiKey } from '@app/common';

/** API keys of the test apps, by the one role each holds. */
export const KEYS = {
  analyst: 'test-analyst-key-0123456789abcdef',
  operator: 'test-operator-key-0123456789abcdef',
  metrics: 'test-metrics-key-0123456789abcdef',
} as const;

/** A temp folder holding an API keys file of KEYS (hashed), as API_KEYS_FILE reads it; the caller removes `dir`. */
export function writeTestKeysFile(): { dir: string; file: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'test-api-keys-'));
  const file = path.join(dir, 'api-keys');
  writeFileSync(file, Object.entries(KEYS).map(([role, key]) => `${role}:${hashApiKey(key)}`).join('\n') + '\n');
  return { dir, file };
}

/** `Authorization` header of a request made with one of KEYS. */
export const bearer = (role: keyof typeof KEYS): { Authorization: string } => ({ Authorization: `Bearer ${KEYS[role]}` });
