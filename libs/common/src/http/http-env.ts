import { EnvSpec } from '../config/env';

/** Variables of the HTTP conventions (configureHttp). */
export const HTTP_CONVENTIONS_ENV = {
  CORS_ORIGINS: {
    kind: 'string',
    default: '',
    description: 'Comma-separated origins a browser may call the API from (CORS), e.g. https://dash.example.com; empty: none; *: any',
  },
  RATE_LIMIT_PER_KEY: { kind: 'int', min: 1, default: '1200', description: 'Requests allowed per RATE_LIMIT_WINDOW to each valid API key (429 with Retry-After beyond)' },
  RATE_LIMIT_PER_IP: { kind: 'int', min: 1, default: '300', description: 'Requests allowed per RATE_LIMIT_WINDOW to each client IP presenting no valid API key' },
  RATE_LIMIT_WINDOW: { kind: 'duration', min: 1000, default: '1m', description: 'Window of the rate limits' },
  TRUST_PROXY: { kind: 'boolean', default: 'false', description: 'true: the client IP (rate limits, access log) is taken from X-Forwarded-For, set by a trusted reverse proxy' },
  ACCESS_LOG: { kind: 'boolean', default: 'true', description: 'One JSON access-log line per request on stdout' },
  HTTP_FAST_PATH: {
    kind: 'boolean',
    default: 'true',
    description:
      'true: security headers made once at start-up, and answers to URLs validated before served by a Fastify hook, their compressed bytes kept; false: the reference path (@fastify/helmet, Nest guards and pipes, @fastify/compress on every request), same answers',
  },
} as const satisfies EnvSpec;
