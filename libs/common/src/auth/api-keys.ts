import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** What a key may do: read analytics, run operations (silver runs, maintenance, replays), scrape metrics. */
export const ROLES = ['analyst', 'operator', 'metrics'] as const;
export type Role = (typeof ROLES)[number];

/** A key that was recognised: `id` names it in logs and rate limits without revealing it. */
export interface ApiKeyIdentity {
  id: string;
  roles: ReadonlySet<Role>;
}

/** The stored form of a key: its SHA-256 in hex. Keys are long random strings, so a fast hash is enough (no dictionary to guess from). */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export class ApiKeysFileError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'ApiKeysFileError';
  }
}

/**
 * The API keys an app accepts, hashed. The file (a Kubernetes Secret mounted as a file, or any
 * file) holds one key per line, `<role>[,<role>…]:<sha256 hex of the key>`, with blank lines
 * and `#` comments allowed; the keys themselves are never stored.
 */
export class ApiKeyStore {
  private readonly byHash = new Map<string, ApiKeyIdentity>();
  /** Keys recognised, so a key is hashed once, not on every request (only valid keys: their number is bounded by the file). */
  private readonly recognised = new Map<string, ApiKeyIdentity>();

  constructor(entries: Array<{ roles: Role[]; sha256: string }>) {
    for (const e of entries) this.byHash.set(e.sha256, { id: e.sha256.slice(0, 12), roles: new Set(e.roles) });
  }

  static parse(text: string, source = 'API keys file'): ApiKeyStore {
    const problems: string[] = [];
    const entries: Array<{ roles: Role[]; sha256: string }> = [];
    text.split(/\r?\n/).forEach((raw, i) => {
      const line = raw.trim();
      if (!line || line.startsWith('#')) return;
      const m = /^([a-z,]+):([0-9a-f]{64})$/i.exec(line);
      const roles = m?.[1].split(',').filter(Boolean) ?? [];
      const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
      if (!m || roles.length === 0 || unknown.length) {
        problems.push(`${source} line ${i + 1}: expected <role>[,<role>]:<sha256 hex>, roles among ${ROLES.join(', ')}`);
        return;
      }
      entries.push({ roles: roles as Role[], sha256: m[2].toLowerCase() });
    });
    if (problems.length) throw new ApiKeysFileError(problems);
    if (entries.length === 0) throw new ApiKeysFileError([`${source} holds no key`]);
    return new ApiKeyStore(entries);
  }

  static fromFile(path: string): ApiKeyStore {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new ApiKeysFileError([`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`]);
    }
    return ApiKeyStore.parse(text, path);
  }

  get size(): number {
    return this.byHash.size;
  }

  /** The key's identity, or undefined when it is not one of the stored keys. */
  identify(key: string): ApiKeyIdentity | undefined {
    const known = this.recognised.get(key);
    if (known) return known;
    // Looking up the hash, not the key: how long the lookup takes tells nothing usable about a stored key.
    const found = this.byHash.get(hashApiKey(key));
    if (found) this.recognised.set(key, found);
    return found;
  }
}

/** The key a request presents: `Authorization: Bearer <key>`, else `X-API-Key: <key>`. */
export function presentedApiKey(headers: Record<string, string | string[] | undefined>): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  const key = headers['x-api-key'];
  return typeof key === 'string' && key.length > 0 ? key : undefined;
}
