import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../config/env';
import { ApiKeysFileError, ApiKeyStore, hashApiKey, presentedApiKey } from './api-keys';
import { authOptions } from './auth-env';

describe('ApiKeyStore', () => {
  const analyst = hashApiKey('key-a');
  const both = hashApiKey('key-b');

  it('reads role:hash lines, with comments and blank lines, and knows keys only by their hash', () => {
    const store = ApiKeyStore.parse(`# keys\n\nanalyst:${analyst}\nanalyst,operator:${both.toUpperCase()}\n`);
    expect(store.size).toBe(2);
    expect([...store.identify('key-a')!.roles]).toEqual(['analyst']);
    expect([...store.identify('key-b')!.roles]).toEqual(['analyst', 'operator']);
    expect(store.identify('key-b')!.id).toBe(both.slice(0, 12));
    expect(store.identify(analyst)).toBeUndefined(); // the hash itself is not a key
    expect(store.identify('key-c')).toBeUndefined();
  });

  it('names every bad line, and refuses a file without keys', () => {
    expect(() => ApiKeyStore.parse(`analyst:${analyst}\nroot:${both}\nanalyst:abc\nanalyst ${both}`, 'keys.txt')).toThrow(
      new ApiKeysFileError([2, 3, 4].map((n) => `keys.txt line ${n}: expected <role>[,<role>]:<sha256 hex>, roles among analyst, operator, metrics`)),
    );
    expect(() => ApiKeyStore.parse('# nothing\n')).toThrow('holds no key');
  });

  it('takes the key from a bearer token, else from X-API-Key', () => {
    expect(presentedApiKey({ authorization: 'Bearer abc' })).toBe('abc');
    expect(presentedApiKey({ authorization: 'bearer  abc ' })).toBe('abc');
    expect(presentedApiKey({ authorization: 'Basic abc', 'x-api-key': 'def' })).toBe('def');
    expect(presentedApiKey({})).toBeUndefined();
  });
});

describe('authOptions', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'auth-spec-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const config = (over: object) => ({ API_KEYS_FILE: '', AUTH_DISABLED: false, METRICS_ACCESS: 'open', ...over });
  const silent = { log: jest.fn(), error: jest.fn(), warn: jest.fn() };

  it('stops start-up naming API_KEYS_FILE when it is missing, unreadable or bad', () => {
    expect(() => authOptions(config({}), silent)).toThrow(ConfigError);
    expect(() => authOptions(config({}), silent)).toThrow(/API_KEYS_FILE: required/);
    expect(() => authOptions(config({ API_KEYS_FILE: path.join(dir, 'none') }), silent)).toThrow(/API_KEYS_FILE: cannot read .*ENOENT/);
    const bad = path.join(dir, 'bad');
    writeFileSync(bad, 'analyst:nothex\n');
    expect(() => authOptions(config({ API_KEYS_FILE: bad }), silent)).toThrow(/API_KEYS_FILE: .*line 1/);
  });

  it('loads the keys; opens metrics by configuration; warns when auth is disabled', () => {
    const file = path.join(dir, 'keys');
    writeFileSync(file, `metrics:${hashApiKey('m')}\n`);
    const opts = authOptions(config({ API_KEYS_FILE: file, METRICS_ACCESS: 'key' }), silent);
    expect([opts.disabled, opts.openRoles, opts.keys?.size]).toEqual([false, [], 1]);
    expect(authOptions(config({ API_KEYS_FILE: file }), silent).openRoles).toEqual(['metrics']);
    expect(authOptions(config({ AUTH_DISABLED: true }), silent).disabled).toBe(true);
    expect(silent.warn).toHaveBeenCalledWith(expect.stringMatching(/^AUTH_DISABLED=true: every endpoint is open/));
  });
});
