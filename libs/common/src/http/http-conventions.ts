import type { IncomingMessage, ServerResponse } from 'node:http';
import compress from '@fastify/compress';
import cors from '@fastify/cors';
import fastifyHelmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import helmet, { HelmetOptions } from 'helmet';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
// fastify is @nestjs/platform-fastify's dependency: only its types are used here.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requestIdentity } from '../auth/api-key.guard';
import { AuthOptions } from '../auth/auth-env';
import { COMPRESSION_OPTIONS } from './compression';
import { requestId } from './request-id';

export interface HttpConventions {
  CORS_ORIGINS: string;
  RATE_LIMIT_PER_KEY: number;
  RATE_LIMIT_PER_IP: number;
  RATE_LIMIT_WINDOW: number;
  TRUST_PROXY: boolean;
  ACCESS_LOG: boolean;
  HTTP_FAST_PATH: boolean;
}

/** Paths never rate limited: probes and scrapes come often, from few addresses. */
const UNLIMITED_PATHS = new Set(['/health', '/metrics']);

/** Fastify for an app: request ids (X-Request-Id kept or made), the client IP through a trusted proxy when told. */
export function createHttpAdapter(options: Pick<HttpConventions, 'TRUST_PROXY'>): FastifyAdapter {
  return new FastifyAdapter({ genReqId: requestId, trustProxy: options.TRUST_PROXY });
}

/** The path of a request URL, without its query. */
function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/** Route patterns (`/a/:id`) as matchers of paths; wildcard routes (static files, CORS preflight) are left out. */
class KnownPaths {
  private readonly routes = new Map<string, { pattern: RegExp; methods: Set<string> }>();

  add(url: string, methods: string | string[]): void {
    if (url.includes('*')) return;
    let route = this.routes.get(url);
    if (!route) {
      const pattern = new RegExp(`^${url.split('/').map((s) => (s.startsWith(':') ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/')}/?$`);
      route = { pattern, methods: new Set() };
      this.routes.set(url, route);
    }
    for (const m of Array.isArray(methods) ? methods : [methods]) route.methods.add(m);
  }

  /** The methods a path answers to, sorted; empty for an unknown path. */
  allowed(path: string): string[] {
    const methods = new Set<string>();
    for (const { pattern, methods: m } of this.routes.values()) if (pattern.test(path)) m.forEach((x) => methods.add(x));
    if (methods.size) methods.add('OPTIONS'); // CORS preflight answers every path
    return [...methods].sort();
  }
}

/**
 * The HTTP conventions every app follows, on its Fastify instance (call before app.init()):
 * - a request id on every answer (X-Request-Id) and a JSON access-log line per request;
 * - 405 with Allow for a method a known path does not answer (TRACE, PATCH…), instead of 404;
 * - 304 on If-None-Match for answers that carry an ETag;
 * - security headers (helmet's; CSP 'self', inline styles for Swagger UI; made once with
 *   HTTP_FAST_PATH, by @fastify/helmet on each request without), CORS from CORS_ORIGINS,
 *   compression (br, gzip, deflate above 1 KiB), and rate limits per API key (a valid one) or
 *   per IP (any other request), with 429 and Retry-After.
 */
export async function configureHttp(app: NestFastifyApplication, options: HttpConventions, auth: AuthOptions): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  const known = new KnownPaths();
  fastify.addHook('onRoute', (route) => {
    known.add(route.url, route.method);
    // A GET or HEAD carries no body: its route needs no request-decompression hook (added by compression below to every route otherwise).
    if ([route.method].flat().every((m) => m === 'GET' || m === 'HEAD')) route.decompress ??= false;
  });

  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('X-Request-Id', request.id);
    if (request.routeOptions.url === undefined) {
      const allowed = known.allowed(pathOf(request.url));
      if (allowed.length && !allowed.includes(request.method)) {
        reply
          .code(405)
          .header('Allow', allowed.join(', '))
          .type('application/json; charset=utf-8')
          .send(JSON.stringify({ statusCode: 405, error: 'Method Not Allowed', message: `${request.method} is not allowed on this path; allowed: ${allowed.join(', ')}` }));
        return;
      }
    }
    done();
  });

  // Added before compression's own onSend hook, so a 304 is decided on the uncompressed answer.
  fastify.addHook('onSend', async (request, reply, payload) => {
    const etag = reply.getHeader('etag');
    const given = request.headers['if-none-match'];
    if (reply.statusCode === 200 && typeof etag === 'string' && given !== undefined && matchesEtag(given, etag)) {
      reply.code(304);
      return '';
    }
    return payload;
  });

  if (options.ACCESS_LOG) {
    fastify.addHook('onResponse', (request, reply, done) => {
      process.stdout.write(accessLogLine(request, reply.statusCode, reply.elapsedTime, auth) + '\n');
      done();
    });
  }

  if (options.HTTP_FAST_PATH) {
    const headers = helmetHeaders(HELMET_OPTIONS);
    fastify.addHook('onRequest', (_request, reply, done) => {
      reply.headers(headers);
      done();
    });
  } else {
    await app.register(fastifyHelmet, HELMET_OPTIONS);
  }
  const origins = options.CORS_ORIGINS.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  await app.register(cors, {
    origin: origins.includes('*') ? true : origins.length ? origins : false,
    methods: ['GET', 'HEAD', 'POST'],
    allowedHeaders: ['Authorization', 'X-API-Key', 'Content-Type', 'If-None-Match', 'X-Request-Id'],
    exposedHeaders: ['ETag', 'X-Request-Id', 'Retry-After'],
    maxAge: 600,
  });
  await app.register(compress, COMPRESSION_OPTIONS);
  await app.register(rateLimit, {
    timeWindow: options.RATE_LIMIT_WINDOW,
    keyGenerator: (request) => rateLimitKey(request, auth),
    max: (_request, key) => (key.startsWith('key:') ? options.RATE_LIMIT_PER_KEY : options.RATE_LIMIT_PER_IP),
    allowList: (request) => UNLIMITED_PATHS.has(pathOf(request.url)),
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      error: 'Too Many Requests',
      message: `rate limit reached: ${context.max} requests per window; retry after ${Math.ceil(context.ttl / 1000)} s`,
    }),
  });
}

/** Security headers: CSP 'self'; Swagger UI's page has inline styles, and data: images (its icons). */
const HELMET_OPTIONS: HelmetOptions = {
  contentSecurityPolicy: {
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
    },
  },
};

/**
 * The headers helmet's middleware sets, made once: with options that hold no function (no CSP
 * nonce) they are the same on every answer, while @fastify/helmet makes the middleware again,
 * parsing every directive, on each request.
 */
export function helmetHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: unknown) => (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => delete headers[name.toLowerCase()],
  };
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (e?: unknown) => {
    if (e) throw e;
  });
  return headers;
}

/** Requests with a valid API key are limited per key, others per client IP. */
function rateLimitKey(request: FastifyRequest, auth: AuthOptions): string {
  const identity = auth.disabled ? undefined : requestIdentity(auth, request.raw as unknown as { headers: Record<string, string | string[] | undefined> });
  return identity ? `key:${identity.id}` : `ip:${request.ip}`;
}

/** If-None-Match holds the tag, or `*` (weak comparison, RFC 9110 13.1.2): the answer is a 304. */
export function matchesEtag(header: string, etag: string): boolean {
  const strip = (t: string) => t.trim().replace(/^W\//, '');
  const tag = strip(etag);
  return header.split(',').some((t) => t.trim() === '*' || strip(t) === tag);
}

function accessLogLine(request: FastifyRequest, status: number, elapsedMs: number, auth: AuthOptions): string {
  const identity = auth.disabled ? undefined : requestIdentity(auth, request.raw as unknown as { headers: Record<string, string | string[] | undefined> });
  return JSON.stringify({
    level: 'log',
    timestamp: Date.now(),
    context: 'access',
    message: `${request.method} ${request.routeOptions.url ?? 'unmatched'} ${status}`,
    request_id: request.id,
    method: request.method,
    url: request.url.length > 512 ? `${request.url.slice(0, 512)}…` : request.url,
    route: request.routeOptions.url ?? null,
    status,
    duration_ms: Math.round(elapsedMs * 1000) / 1000,
    ip: request.ip,
    key: identity?.id ?? null,
  });
}
