import { Logger, LoggerService } from '@nestjs/common';
import { ConfigError, EnvSpec } from '../config/env';
import { ApiKeysFileError, ApiKeyStore, Role } from './api-keys';

/** Variables of every app that checks API keys. */
export const AUTH_ENV = {
  API_KEYS_FILE: {
    kind: 'string',
    default: '',
    description: 'File of accepted API keys, one per line as <role>[,<role>]:<sha256 hex of the key> (e.g. a mounted Kubernetes Secret); required unless AUTH_DISABLED=true',
  },
  AUTH_DISABLED: { kind: 'boolean', default: 'false', description: 'true turns API key checks off (development only; logged as a warning at start-up)' },
  METRICS_ACCESS: { kind: 'enum', values: ['open', 'key'], default: 'open', description: '/metrics open to any scraper, or only to keys with the metrics role' },
} as const satisfies EnvSpec;

export interface AuthOptions {
  /** Undefined only when checks are disabled. */
  keys?: ApiKeyStore;
  disabled: boolean;
  /** Roles whose routes are open to all (metrics, when METRICS_ACCESS=open). */
  openRoles: Role[];
}

/** The auth settings from validated variables; a missing or bad keys file stops start-up naming API_KEYS_FILE. */
export function authOptions(config: { API_KEYS_FILE: string; AUTH_DISABLED: boolean; METRICS_ACCESS: string }, logger: LoggerService = new Logger('auth')): AuthOptions {
  const openRoles: Role[] = config.METRICS_ACCESS === 'open' ? ['metrics'] : [];
  if (config.AUTH_DISABLED) {
    logger.warn('AUTH_DISABLED=true: every endpoint is open to anyone, without an API key. Never run like this where the port is reachable by others.');
    return { disabled: true, openRoles };
  }
  if (!config.API_KEYS_FILE) throw new ConfigError(['API_KEYS_FILE: required (a file of API key hashes), or set AUTH_DISABLED=true for development']);
  try {
    return { keys: ApiKeyStore.fromFile(config.API_KEYS_FILE), disabled: false, openRoles };
  } catch (e) {
    if (e instanceof ApiKeysFileError) throw new ConfigError(e.problems.map((p) => `API_KEYS_FILE: ${p}`));
    throw e;
  }
}
