/**
 * The gateway as a product (issue 16): API keys and roles, rate limits, HTTP conventions (ETag,
 * CORS, compression, security headers, request ids, 405), and each finding of the review, on a
 * real lakehouse in a temp folder: bound parameters, freshness, the byte-bounded answer cache
 * (a cache storm with its RSS bound checked), unknown parameters, errors without internals,
 * a fuzz of every parameter, and the answers made again after a silver run.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Logger } from '@nestjs/common';
import request from 'supertest';
import { Row } from '@app/delta';
import { CLIENT_AGGREGATES_TABLE, tableLocation } from '@app/schemas';
import { Client, clientDay, syntheticClientDays, tempLakehouse, writeSilver } from '../../libs/analytics/test/silver-fixtures';
import { KEYS, startTestGateway, TestGateway } from '../support/gateway';

const JEAN: Client = { client_id: 1, client_nom: 'Jean Dupont', pays: 'France', segment: 'Particulier' };
const MARIE: Client = { client_id: 2, client_nom: 'Marie Martin', pays: 'Belgique', segment: 'Entreprise' };
const LUC: Client = { client_id: 3, client_nom: 'Luc Simon', pays: 'France', segment: 'Entreprise' };

const ROWS: Row[] = [
  clientDay(JEAN, '2024-12-09', [{ produit_id: 1, quantite: 1, montant: 100 }]),
  clientDay(MARIE, '2024-12-09', [{ produit_id: 2, quantite: 1, montant: 1000 }]),
  clientDay(LUC, '2024-12-10', [{ produit_id: 3, quantite: 2, montant: 500 }]),
];

const REFRESH_MS = 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type Http = string;

describe('analytics-gateway as a product (e2e)', () => {
  const root = tempLakehouse('gateway-http-e2e-');
  let gateway: TestGateway;
  let http: Http;
  const analyst = (url: string) => request(http).get(url).set('Authorization', `Bearer ${KEYS.analyst}`);

  beforeAll(async () => {
    await writeSilver(root, ROWS);
    gateway = await startTestGateway({ LAKEHOUSE_ROOT: root, SNAPSHOT_REFRESH_INTERVAL: `${REFRESH_MS}ms`, CORS_ORIGINS: 'https://dash.example.com', RATE_LIMIT_PER_KEY: '100000', RATE_LIMIT_PER_IP: '100000' });
    http = gateway.url;
  });

  afterAll(async () => {
    await gateway?.close();
    rmSync(root, { recursive: true, force: true });
  });

  describe('API keys and roles', () => {
    it('401 as JSON without a key, or with a key that is not valid', async () => {
      const none = await request(http).get('/analytics/segments').expect(401);
      expect(none.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: expect.stringContaining('Authorization: Bearer') });
      expect(none.headers['content-type']).toMatch(/^application\/json/);
      expect(none.headers['www-authenticate']).toBe('Bearer');
      const bad = await request(http).get('/analytics/segments').set('Authorization', 'Bearer not-a-key').expect(401);
      expect(bad.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'the API key is not valid' });
    });

    it('403 as JSON with a key lacking the analyst role', async () => {
      const res = await request(http).get('/analytics/segments').set('Authorization', `Bearer ${KEYS.metrics}`).expect(403);
      expect(res.body).toEqual({ statusCode: 403, error: 'Forbidden', message: 'this API key lacks the analyst role' });
    });

    it('takes the key as a bearer token or in X-API-Key', async () => {
      await request(http).get('/analytics/segments').set('Authorization', `Bearer ${KEYS.analyst}`).expect(200);
      await request(http).get('/analytics/segments').set('X-API-Key', KEYS.analyst).expect(200);
    });

    it('leaves /health, /docs and /metrics (METRICS_ACCESS=open) open, and documents the security schemes', async () => {
      await request(http).get('/health').expect(200);
      await request(http).get('/metrics').expect(200);
      await request(http).get('/docs').expect(200);
      const doc = (await request(http).get('/docs-json').expect(200)).body;
      expect(Object.keys(doc.components.securitySchemes)).toEqual(['bearer', 'api-key']);
      expect(doc.paths['/analytics/segments'].get.security).toEqual([{ bearer: [] }, { 'api-key': [] }]);
      expect(Object.keys(doc.paths['/analytics/segments'].get.responses)).toEqual(expect.arrayContaining(['401', '403']));
    });
  });

  describe('HTTP conventions', () => {
    it('ETag from the table version and parameters, Cache-Control, and a 304 on If-None-Match', async () => {
      const first = await analyst('/analytics/top-customers?limit=2').expect(200);
      const etag = first.headers.etag;
      expect(etag).toMatch(/^W\/"[\w-]+"$/);
      expect(first.headers['cache-control']).toBe('private, no-cache');
      const again = await analyst('/analytics/top-customers?limit=2').set('If-None-Match', etag).expect(304);
      expect(again.text).toBe('');
      expect((await analyst('/analytics/top-customers?limit=3').expect(200)).headers.etag).not.toBe(etag);
      await analyst('/analytics/top-customers?limit=2').set('If-None-Match', 'W/"other"').expect(200);
      const pinned = await analyst('/analytics/top-customers?limit=2&asOfVersion=1').expect(200);
      expect(pinned.headers['cache-control']).toBe('private, max-age=86400, immutable');
    });

    it('CORS for the configured origins only', async () => {
      const pre = await request(http)
        .options('/analytics/segments')
        .set('Origin', 'https://dash.example.com')
        .set('Access-Control-Request-Method', 'GET')
        .set('Access-Control-Request-Headers', 'authorization');
      expect(pre.status).toBe(204);
      expect(pre.headers['access-control-allow-origin']).toBe('https://dash.example.com');
      expect(pre.headers['access-control-allow-headers']).toMatch(/Authorization/i);
      const ok = await analyst('/analytics/segments').set('Origin', 'https://dash.example.com').expect(200);
      expect(ok.headers['access-control-allow-origin']).toBe('https://dash.example.com');
      const other = await analyst('/analytics/segments').set('Origin', 'https://evil.example.com').expect(200);
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    });

    it('compresses answers over 1 KiB for clients that accept it', async () => {
      const gz = await request(http).get('/docs-json').set('Accept-Encoding', 'gzip').expect(200);
      expect(gz.headers['content-encoding']).toBe('gzip');
      expect(gz.body.openapi).toBeDefined(); // supertest inflates it
      const br = await request(http).get('/docs-json').set('Accept-Encoding', 'br').expect(200);
      expect(br.headers['content-encoding']).toBe('br');
      const plain = await request(http).get('/docs-json').set('Accept-Encoding', 'identity').expect(200);
      expect(plain.headers['content-encoding']).toBeUndefined();
    });

    it('security headers, with a CSP under which Swagger UI still loads its own scripts and styles', async () => {
      const ui = await request(http).get('/docs').expect(200);
      const csp = ui.headers['content-security-policy'];
      expect(csp).toMatch(/default-src 'self'/);
      expect(csp).toMatch(/script-src 'self'/);
      expect(ui.headers['x-content-type-options']).toBe('nosniff');
      expect(ui.headers['strict-transport-security']).toBeDefined();
      // The UI's scripts are files of the same origin (no inline script, which the CSP would block).
      const scripts = [...ui.text.matchAll(/<script([^>]*)>([^<]*)<\/script>/g)];
      expect(scripts.length).toBeGreaterThan(0);
      for (const [, attrs, body] of scripts) {
        expect(attrs).toMatch(/src=/);
        expect(body.trim()).toBe('');
      }
      await request(http).get('/docs/swagger-ui-init.js').expect(200);
    });

    it('a request id on every answer: the caller’s when it is a plain token, else a new one', async () => {
      expect((await analyst('/analytics/segments').set('X-Request-Id', 'abc-123').expect(200)).headers['x-request-id']).toBe('abc-123');
      expect((await analyst('/analytics/segments').set('X-Request-Id', 'bad id <script>').expect(200)).headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect((await request(http).get('/nowhere').expect(404)).headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('405 with Allow for a method a known path does not answer (finding 8); 404 for unknown paths', async () => {
      for (const [method, url] of [
        ['TRACE', '/health'],
        ['DELETE', '/analytics/segments'],
        ['PATCH', '/analytics/customers/1'],
        ['PUT', '/docs-json'],
      ]) {
        const res = await request(http)[method.toLowerCase() as 'get'](url);
        expect([method, url, res.status]).toEqual([method, url, 405]);
        expect(res.headers.allow).toBe('GET, HEAD, OPTIONS');
        expect(res.body).toEqual({ statusCode: 405, error: 'Method Not Allowed', message: expect.stringContaining(method) });
      }
      const unknown = await request(http).get('/analytics/nothing-here').expect(404);
      expect(unknown.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
    });
  });

  describe('findings', () => {
    it('2: request values are bound parameters: NUL, quotes and backslashes are plain data', async () => {
      for (const pays of ['France\0', "x' OR '1'='1", '\\\'"', '%']) {
        const res = await analyst(`/analytics/top-customers?pays=${encodeURIComponent(pays)}`).expect(200);
        expect(res.body.customers).toEqual([]);
      }
    });

    it('3: a 400 or 404 logs no "Content-Type doesn\'t match Reply body" warning', async () => {
      const warn = jest.spyOn(Logger, 'warn');
      try {
        await analyst('/analytics/top-customers?limit=0').expect(400);
        await analyst('/analytics/customers/999').expect(404);
        await request(http).get('/analytics/segments').expect(401);
        expect(warn.mock.calls.filter(([m]) => String(m).includes("Content-Type doesn't match"))).toEqual([]);
      } finally {
        warn.mockRestore();
      }
    });

    it('4: Swagger pre-fills no time-travel parameter, documents that the two exclude each other, and its error examples match', async () => {
      const doc = (await request(http).get('/docs-json').expect(200)).body;
      for (const [url, item] of Object.entries(doc.paths as Record<string, { get?: { parameters: Array<{ name: string; example?: unknown; schema: { example?: unknown }; description: string }>; responses: Record<string, { content?: { 'application/json': { schema: { $ref: string } } } }> } }>)) {
        if (!url.startsWith('/analytics/')) continue;
        const params = item.get!.parameters;
        for (const name of ['asOfVersion', 'asOfTimestamp']) {
          const p = params.find((x) => x.name === name)!;
          expect([url, name, p.example ?? p.schema.example]).toEqual([url, name, undefined]);
          expect(p.description).toMatch(/at most one of the two/);
        }
        expect(item.get!.responses['503'].content!['application/json'].schema.$ref).toBe('#/components/schemas/ServiceUnavailableResponseDto');
      }
      expect(doc.components.schemas.ServiceUnavailableResponseDto.properties.statusCode.example).toBe(503);
      expect(doc.components.schemas.SegmentsResponseDto.properties.source.example.table).toBe('ventes_par_segment');
    });

    it('6: the unknown-parameter check catches the names of Object members', async () => {
      for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__']) {
        const res = await analyst(`/analytics/segments?${name}=1`);
        expect([name, res.status]).toEqual([name, 400]);
        expect(res.body.message.join(' ')).toContain(name);
      }
    });

    it('9: an unexpected failure answers a 500 naming the request id, and /health names no internals', async () => {
      // A silver table whose log is damaged: reading it fails inside the Delta library.
      const broken = tempLakehouse('gateway-broken-');
      const log = path.join(tableLocation(broken, CLIENT_AGGREGATES_TABLE), '_delta_log');
      mkdirSync(log, { recursive: true });
      writeFileSync(path.join(log, '00000000000000000000.json'), '{"protocol": SELECT * FROM secret_table WHERE x = \'');
      const other = await startTestGateway({ LAKEHOUSE_ROOT: broken });
      try {
        const s = other.url;
        const res = await request(s).get('/analytics/top-customers').set('X-API-Key', KEYS.analyst).expect(500);
        expect(res.body).toEqual({ statusCode: 500, error: 'Internal Server Error', message: `the server failed to answer; quote request id ${res.headers['x-request-id']} to its operators` });
        const health = await request(s).get('/health').expect(503);
        expect(JSON.stringify(health.body)).not.toMatch(/SELECT|secret_table|_delta_log|\.json|Unexpected/);
        expect(health.body.details['silver-tables'].tables.ventes_aggreges).toBe('log unreadable (see the gateway log)');
      } finally {
        await other.close();
        rmSync(broken, { recursive: true, force: true });
      }
    });

    it('1: the first request after the refresh interval sees a new commit, and /freshness reports only versions queries accept', async () => {
      const root1 = tempLakehouse('gateway-fresh-');
      await writeSilver(root1, ROWS);
      const fresh = await startTestGateway({ LAKEHOUSE_ROOT: root1, SNAPSHOT_REFRESH_INTERVAL: `${REFRESH_MS}ms` });
      try {
        const s = fresh.url;
        const get = (url: string) => request(s).get(url).set('X-API-Key', KEYS.analyst);
        expect((await get('/analytics/segments').expect(200)).body.source.version).toBe(1);
        for (let run = 2; run <= 4; run++) {
          await writeSilver(root1, [...ROWS, clientDay(JEAN, `2024-12-1${run}`, [{ produit_id: 1, quantite: 1, montant: run }])], 'overwrite');
          await sleep(REFRESH_MS + 10);
          expect((await get('/analytics/segments').expect(200)).body.source.version).toBe(run); // not the previous version
          const versions = (await get('/analytics/freshness').expect(200)).body.silver.map((t: { table: string; version: number }) => [t.table, t.version]);
          for (const [table, version] of versions) {
            const url = { ventes_aggreges: '/analytics/loyalty', ventes_par_pays: '/analytics/revenue-by-country', ventes_par_segment: '/analytics/segments' }[table as string]!;
            expect((await get(`${url}?asOfVersion=${version}`).expect(200)).body.source).toEqual({ table, version });
          }
        }
      } finally {
        await fresh.close();
        rmSync(root1, { recursive: true, force: true });
      }
    });
  });

  it('after a silver run, the answers asked most are made again before the first request: it is answered from the cache, about the new version', async () => {
    const rootW = tempLakehouse('gateway-warm-');
    await writeSilver(rootW, ROWS);
    const warm = await startTestGateway({ LAKEHOUSE_ROOT: rootW, SNAPSHOT_REFRESH_INTERVAL: `${REFRESH_MS}ms`, CACHE_WARM_ANSWERS: '2' });
    try {
      const get = (url: string) => request(warm.url).get(url).set('X-API-Key', KEYS.analyst);
      const metric = async (name: string, labels: string): Promise<number> => {
        const text = (await request(warm.url).get('/metrics').expect(200)).text;
        const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && labels.split(',').every((label) => l.includes(label)));
        return line ? Number(line.split(' ').pop()) : 0;
      };
      for (let i = 0; i < 3; i++) await get('/analytics/revenue-trends?granularity=day').expect(200);
      for (let i = 0; i < 2; i++) await get('/analytics/top-customers?limit=2').expect(200);
      await get('/analytics/customers/1').expect(200); // asked least: not among the 2 made again

      await writeSilver(rootW, [...ROWS, clientDay(JEAN, '2024-12-11', [{ produit_id: 1, quantite: 1, montant: 7 }])], 'overwrite');
      const deadline = Date.now() + 10_000;
      const computed = (endpoint: string) => metric('analytics_answers_warmed_total', `endpoint="${endpoint}",result="computed"`);
      while (((await computed('revenue-trends')) < 1 || (await computed('top-customers')) < 1) && Date.now() < deadline) await sleep(REFRESH_MS / 2);
      expect(await computed('revenue-trends')).toBe(1);
      expect(await computed('top-customers')).toBe(1);
      expect(await computed('customer')).toBe(0);

      const lookups = (endpoint: string, result: string) => metric('analytics_cache_lookups_total', `endpoint="${endpoint}",result="${result}"`);
      const [hits, misses] = [await lookups('revenue-trends', 'hit'), await lookups('revenue-trends', 'miss')];
      const trends = (await get('/analytics/revenue-trends?granularity=day').expect(200)).body;
      expect(trends.source.version).toBe(2);
      expect(trends.periods.map((p: { period: string }) => p.period)).toEqual(['2024-12-09', '2024-12-10', '2024-12-11']);
      expect(await lookups('revenue-trends', 'hit')).toBe(hits + 1);
      expect(await lookups('revenue-trends', 'miss')).toBe(misses);
    } finally {
      await warm.close();
      rmSync(rootW, { recursive: true, force: true });
    }
  });

  describe('API completeness', () => {
    it('pages every list with limit and offset, and reports the window and the total', async () => {
      const res = await analyst('/analytics/top-customers?limit=1&offset=1').expect(200);
      expect(res.body.page).toEqual({ limit: 1, offset: 1, total: 3 });
      expect(res.body.customers.map((c: { client_id: number }) => c.client_id)).toEqual([3]);
      for (const url of ['/analytics/revenue-by-country', '/analytics/segments', '/analytics/revenue-trends', '/analytics/customers/1']) {
        const body = (await analyst(`${url}?limit=1&offset=0`).expect(200)).body;
        expect([url, body.page.limit, body.page.offset, typeof body.page.total]).toEqual([url, 1, 0, 'number']);
      }
      expect((await analyst('/analytics/revenue-trends?offset=100000&limit=5').expect(200)).body.periods).toEqual([]);
      expect((await analyst('/analytics/segments?offset=100001')).status).toBe(400);
    });

    it('names the currency of money answers', async () => {
      for (const url of ['/analytics/top-customers', '/analytics/revenue-by-country', '/analytics/segments', '/analytics/revenue-trends', '/analytics/loyalty', '/analytics/customers/1']) {
        expect([url, (await analyst(url).expect(200)).body.currency]).toEqual([url, 'EUR']);
      }
    });

    it('matches pays without regard to case', async () => {
      for (const pays of ['france', 'FRANCE', 'France']) {
        const ids = (await analyst(`/analytics/top-customers?pays=${pays}`).expect(200)).body.customers.map((c: { client_id: number }) => c.client_id);
        expect(ids).toEqual([3, 1]);
      }
    });

    it('a 400 naming from and to when a query would scan more rows than QUERY_MAX_SCAN_ROWS', async () => {
      const bounded = await startTestGateway({ LAKEHOUSE_ROOT: root, QUERY_MAX_SCAN_ROWS: '2' });
      try {
        const get = (url: string) => request(bounded.url).get(url).set('X-API-Key', KEYS.analyst);
        const res = await get('/analytics/top-customers').expect(400);
        expect(res.body.message).toEqual(['from and to: the query would scan 3 rows, more than the 2 allowed; narrow from and to']);
        await get('/analytics/top-customers?from=2024-12-10').expect(200);
      } finally {
        await bounded.close();
      }
    });
  });

  it('429 with Retry-After beyond the limit per key, and per IP for requests without a valid key', async () => {
    const limited = await startTestGateway({ LAKEHOUSE_ROOT: root, RATE_LIMIT_PER_KEY: '3', RATE_LIMIT_PER_IP: '2', RATE_LIMIT_WINDOW: '1m' });
    try {
      const s = limited.url;
      for (let i = 0; i < 3; i++) await request(s).get('/analytics/segments').set('X-API-Key', KEYS.analyst).expect(200);
      const over = await request(s).get('/analytics/segments').set('X-API-Key', KEYS.analyst).expect(429);
      expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
      expect(over.body).toEqual({ statusCode: 429, error: 'Too Many Requests', message: expect.stringMatching(/^rate limit reached: 3 requests per window; retry after \d+ s$/) });
      // Another key has its own budget; anonymous requests share the IP's.
      await request(s).get('/analytics/segments').set('X-API-Key', KEYS.metrics).expect(403);
      for (let i = 0; i < 2; i++) await request(s).get('/analytics/segments').expect(401);
      expect((await request(s).get('/analytics/segments').expect(429)).headers['retry-after']).toBeDefined();
      // Probes are never limited.
      for (let i = 0; i < 5; i++) await request(s).get('/health').expect(200);
    } finally {
      await limited.close();
    }
  });

  it('METRICS_ACCESS=key: /metrics only for keys with the metrics role', async () => {
    const scraped = await startTestGateway({ LAKEHOUSE_ROOT: root, METRICS_ACCESS: 'key' });
    try {
      const s = scraped.url;
      await request(s).get('/metrics').expect(401);
      await request(s).get('/metrics').set('X-API-Key', KEYS.analyst).expect(403);
      await request(s).get('/metrics').set('X-API-Key', KEYS.metrics).expect(200);
    } finally {
      await scraped.close();
    }
  });

  it('AUTH_DISABLED=true opens the analytics, and says so loudly at start-up', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn');
    const open = await startTestGateway({ LAKEHOUSE_ROOT: root, AUTH_DISABLED: 'true', API_KEYS_FILE: '' });
    try {
      expect(warn.mock.calls.some(([m]) => String(m).startsWith('AUTH_DISABLED=true'))).toBe(true);
      await request(open.url).get('/analytics/segments').expect(200);
    } finally {
      warn.mockRestore();
      await open.close();
    }
  });

  it('fuzz: NUL, quotes, backslashes, unicode and very long values in every parameter never give a 5xx', async () => {
    const values = ['\0', 'a\0b', "'", '"', "';--", '\\', '\\\\0', '%', '_', 'é', '🇫🇷', '\u202e', '\uffff', 'x'.repeat(10_000), '1'.repeat(400), '-1', '1e3', ' ', 'null', '[]', '{}'];
    const params = ['pays', 'segment', 'from', 'to', 'asOfTimestamp', 'asOfVersion', 'limit', 'offset', 'granularity'];
    const endpoints = ['/analytics/top-customers', '/analytics/revenue-by-country', '/analytics/segments', '/analytics/revenue-trends', '/analytics/loyalty', '/analytics/customers/1', '/analytics/freshness'];
    const failures: string[] = [];
    for (const endpoint of endpoints) {
      for (const param of params) {
        for (const v of values) {
          const res = await analyst(`${endpoint}?${param}=${encodeURIComponent(v)}`);
          if (res.status >= 500) failures.push(`${endpoint}?${param}=${JSON.stringify(v.slice(0, 20))} -> ${res.status}`);
        }
      }
    }
    for (const v of values) {
      const res = await analyst(`/analytics/customers/${encodeURIComponent(v)}`);
      if (res.status >= 500) failures.push(`/analytics/customers/${JSON.stringify(v.slice(0, 20))} -> ${res.status}`);
    }
    expect(failures).toEqual([]);
  }, 120_000);

  it('5: a cache storm of distinct queries keeps the answer cache within CACHE_MAX_BYTES and RSS within its bound', async () => {
    const stormRoot = tempLakehouse('gateway-storm-');
    // 2,000 client-days over 40 days: every distinct from= is a new answer.
    await writeSilver(stormRoot, syntheticClientDays(50, 40, '2024-11-01'));
    const CACHE_MAX_BYTES = 1_000_000;
    const storm = await startTestGateway({ LAKEHOUSE_ROOT: stormRoot, CACHE_MAX_BYTES: String(CACHE_MAX_BYTES), RATE_LIMIT_PER_KEY: '1000000' });
    try {
      const s = storm.url;
      const get = (url: string) => request(s).get(url).set('X-API-Key', KEYS.analyst);
      await get('/analytics/top-customers').expect(200);
      const rssBefore = process.memoryUsage().rss;
      let peakRss = rssBefore;
      const QUERIES = 600;
      const CONCURRENCY = 16;
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < QUERIES) {
            const i = next++;
            // Distinct answers: every limit (1..100) for 30 start days.
            await get(`/analytics/top-customers?from=2024-11-${String(1 + (i % 30)).padStart(2, '0')}&limit=${1 + (Math.floor(i / 30) % 100)}`).expect(200);
            if (i % 200 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
          }
        }),
      );
      const metrics = (await request(s).get('/metrics').expect(200)).text;
      const cached = Number(/^analytics_memory_bytes\{cache="answers"\} (\d+)/m.exec(metrics)![1]);
      expect(cached).toBeGreaterThan(CACHE_MAX_BYTES / 2); // the storm did fill it…
      expect(cached).toBeLessThanOrEqual(CACHE_MAX_BYTES); // …and no further
      // The stated bound: the storm adds less than 150 MB to the process (the test runner's included).
      expect((peakRss - rssBefore) / 2 ** 20).toBeLessThan(150);
    } finally {
      await storm.close();
      rmSync(stormRoot, { recursive: true, force: true });
    }
  }, 400_000);
});
