/**
 * Environment variables, declared once per app and validated once at start-up: a bad or
 * missing value stops the process with a message naming the variable. The declarations are
 * also the reference the deployment files (compose, k8s) are checked against.
 */
export type EnvKind = 'string' | 'int' | 'number' | 'boolean' | 'duration' | 'list' | 'enum';

export interface EnvVar {
  kind: EnvKind;
  description: string;
  /** Used when the variable is unset or empty; a variable with no default is required. */
  default?: string;
  min?: number;
  max?: number;
  values?: readonly string[];
}

export type EnvSpec = Record<string, EnvVar>;

type ValueOf<V extends EnvVar> = V['kind'] extends 'int' | 'number' | 'duration'
  ? number
  : V['kind'] extends 'boolean'
    ? boolean
    : V['kind'] extends 'list'
      ? string[]
      : string;

export type EnvConfig<S extends EnvSpec> = { readonly [K in keyof S]: ValueOf<S[K]> };

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Durations in ms: "250ms", "2s", "10m", "1h", or a bare number of ms. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * DURATION_UNITS[m[2] ?? 'ms']);
}

function parseOne(name: string, v: EnvVar, raw: string): { value?: unknown; problem?: string } {
  const bad = (expected: string) => ({ problem: `${name}: expected ${expected}, got "${raw}"` });
  switch (v.kind) {
    case 'string':
      return { value: raw };
    case 'enum':
      return v.values!.includes(raw) ? { value: raw } : bad(`one of ${v.values!.join(', ')}`);
    case 'list': {
      const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
      return items.length ? { value: items } : bad('a comma-separated list');
    }
    case 'boolean':
      if (['true', '1', 'yes'].includes(raw.toLowerCase())) return { value: true };
      if (['false', '0', 'no'].includes(raw.toLowerCase())) return { value: false };
      return bad('true or false');
    case 'int':
    case 'number':
    case 'duration': {
      const n = v.kind === 'duration' ? parseDuration(raw) : Number(raw);
      const what = v.kind === 'duration' ? 'a duration such as 500ms, 2s or 10m' : v.kind === 'int' ? 'an integer' : 'a number';
      if (n === undefined || !Number.isFinite(n) || (v.kind === 'int' && !Number.isInteger(n))) return bad(what);
      if (v.min !== undefined && n < v.min) return bad(`${what} >= ${v.min}`);
      if (v.max !== undefined && n > v.max) return bad(`${what} <= ${v.max}`);
      return { value: n };
    }
  }
}

export function loadEnv<S extends EnvSpec>(spec: S, env: NodeJS.ProcessEnv = process.env): EnvConfig<S> {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, v] of Object.entries(spec)) {
    const raw = env[name] === undefined || env[name] === '' ? v.default : env[name];
    if (raw === undefined) {
      problems.push(`${name}: required (${v.description})`);
      continue;
    }
    const { value, problem } = parseOne(name, v, raw);
    if (problem) problems.push(problem);
    else out[name] = value;
  }
  if (problems.length) throw new ConfigError(problems);
  return out as EnvConfig<S>;
}
