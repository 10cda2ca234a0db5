/**
 * HTTP_FAST_PATH against the reference path, differentially: two gateways over the same
 * lakehouse, one with the fast path (answers to URLs validated before served by a Fastify hook,
 * compressed bytes kept, helmet's headers made once), one without (Nest's pipeline, @fastify/helmet
 * and @fastify/compress on every request). The same requests, in the same order, must get the
 * same status, headers and body bytes (compressed bytes included) from both: valid and invalid
 * parameters, every key and role case, every content coding, If-None-Match, CORS, HEAD, and a new
 * commit in between. The fast gateway must have served most of the repeated requests itself.
 */
import * as http from 'node:http';
import { rmSync } from 'node:fs';
import { Row } from '@app/delta';
import { addDays, syntheticClientDays, tempLakehouse, writeSilver } from '../../libs/analytics/test/silver-fixtures';
import { KEYS, startTestGateway, TestGateway } from '../support/gateway';

const FIRST_DAY = '2024-09-01';
const REFRESH_MS = 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A request whose answer is kept as sent: headers as they are, body bytes not decompressed. */
function rawRequest(base: string, method: string, url: string, headers: Record<string, string>): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(url, base), { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Headers that differ between two servers for reasons other than the answer: the clock and the connection. */
const UNCOMPARED = new Set(['date', 'connection', 'keep-alive', 'x-ratelimit-reset']);

function comparable(a: RawAnswer): { status: number; headers: Record<string, unknown>; body: string } {
  const headers = Object.fromEntries(Object.entries(a.headers).filter(([k]) => !UNCOMPARED.has(k)));
  return { status: a.status, headers, body: a.body.toString('base64') };
}

const analyst = { Authorization: `Bearer ${KEYS.analyst}` };
const URLS = [
  '/analytics/top-customers?limit=50',
  '/analytics/top-customers?limit=5&from=2024-09-01&to=2024-09-30&pays=FRANCE',
  '/analytics/top-customers?limit=10&asOfVersion=1',
  '/analytics/top-customers?limit=10&asOfTimestamp=2099-01-01T00:00:00Z',
  '/analytics/revenue-by-country',
  '/analytics/revenue-by-country?from=2024-09-10',
  '/analytics/segments',
  '/analytics/revenue-trends?granularity=week',
  '/analytics/revenue-trends?granularity=day&from=2024-09-01&to=2024-09-20&limit=7&offset=3',
  '/analytics/loyalty?from=2024-09-01&to=2024-09-15',
  '/analytics/customers/7',
  '/analytics/customers/7?limit=3&offset=2',
  '/analytics/customers/99999',
  '/analytics/freshness',
  // Refused by validation (400) or time travel (400): never remembered, always Nest's.
  '/analytics/top-customers?limit=0',
  '/analytics/top-customers?constructor=1',
  '/analytics/top-customers?asOfVersion=1&asOfTimestamp=2024-01-01',
  '/analytics/top-customers?asOfVersion=99',
  '/analytics/customers/abc',
];
const VARIANTS: Array<Record<string, string>> = [
  { ...analyst, 'Accept-Encoding': 'gzip, deflate, br' },
  { ...analyst },
  { ...analyst, 'Accept-Encoding': 'gzip' },
  { ...analyst, 'Accept-Encoding': 'deflate' },
  { ...analyst, 'Accept-Encoding': 'br;q=0.5, gzip;q=0.9' },
  { ...analyst, 'Accept-Encoding': '*' },
  { ...analyst, 'Accept-Encoding': 'identity' },
  { ...analyst, 'Accept-Encoding': 'gzip', 'X-No-Compression': '1' },
  { 'X-API-Key': KEYS.analyst, 'Accept-Encoding': 'br', Origin: 'https://dash.example.com' },
  { ...analyst, 'Accept-Encoding': 'br', Origin: 'https://evil.example.com' },
  { 'Accept-Encoding': 'br' },
  { Authorization: 'Bearer not-a-key', 'Accept-Encoding': 'br' },
  { Authorization: `Bearer ${KEYS.metrics}`, 'Accept-Encoding': 'br' },
];

describe('analytics-gateway HTTP_FAST_PATH against the reference path (e2e)', () => {
  const root = tempLakehouse('gateway-fast-path-e2e-');
  const rows: Row[] = syntheticClientDays(40, 30, FIRST_DAY);
  let fast: TestGateway;
  let reference: TestGateway;

  beforeAll(async () => {
    const lastDay = addDays(FIRST_DAY, 29);
    await writeSilver(root, rows.filter((r) => r.jour !== lastDay));
    await writeSilver(root, rows, 'overwrite');
    const env = { LAKEHOUSE_ROOT: root, SNAPSHOT_REFRESH_INTERVAL: `${REFRESH_MS}ms`, CORS_ORIGINS: 'https://dash.example.com', RATE_LIMIT_PER_KEY: '100000', RATE_LIMIT_PER_IP: '100000' };
    fast = await startTestGateway({ ...env, HTTP_FAST_PATH: 'true' });
    reference = await startTestGateway({ ...env, HTTP_FAST_PATH: 'false' });
  });

  afterAll(async () => {
    await fast?.close();
    await reference?.close();
    rmSync(root, { recursive: true, force: true });
  });

  /** Sends the request to both gateways and expects the same answer; returns it. */
  async function same(method: string, url: string, headers: Record<string, string>): Promise<RawAnswer> {
    const withId = { ...headers, 'X-Request-Id': 'differential-1' };
    const a = await rawRequest(fast.url, method, url, withId);
    const b = await rawRequest(reference.url, method, url, withId);
    expect({ method, url, sent: headers, ...comparable(a) }).toEqual({ method, url, sent: headers, ...comparable(b) });
    return a;
  }

  async function fastPathServed(): Promise<number> {
    const text = (await rawRequest(fast.url, 'GET', '/metrics', {})).body.toString();
    return Number(/^gateway_fast_path_answers_total\{result="served"\} (\d+)/m.exec(text)?.[1] ?? 0);
  }

  it('answers every request the same, status, headers and bytes, asked once or again', async () => {
    for (const url of URLS) {
      for (const headers of VARIANTS) {
        const first = await same('GET', url, headers);
        await same('GET', url, headers);
        if (first.status === 200 && typeof first.headers.etag === 'string') {
          const notModified = await same('GET', url, { ...headers, 'If-None-Match': first.headers.etag });
          expect(notModified.status).toBe(304);
          await same('GET', url, { ...headers, 'If-None-Match': 'W/"other"' });
        }
        await same('HEAD', url, headers);
      }
    }
    const served = await fastPathServed();
    // Every repeated 200 of a valid key (9 of the variants) after the first request of its URL.
    expect(served).toBeGreaterThan(URLS.length * 9);
  });

  it('answers from the newest commit after the refresh interval on both paths', async () => {
    const url = '/analytics/top-customers?limit=50';
    const before = await same('GET', url, { ...analyst, 'Accept-Encoding': 'br' });
    await writeSilver(root, rows.filter((r) => r.jour !== FIRST_DAY), 'overwrite');
    await sleep(REFRESH_MS + 50);
    const after = await same('GET', url, { ...analyst, 'Accept-Encoding': 'br' });
    expect(after.headers.etag).not.toBe(before.headers.etag);
    const plain = await same('GET', url, analyst);
    expect(JSON.parse(plain.body.toString()).source.version).toBe(3);
  });

  it('hands a failing call back to Nest, which answers the error', async () => {
    const url = '/analytics/customers/1';
    await same('GET', url, analyst);
    // Client 1 disappears from the newest version: the remembered call now fails (404).
    await writeSilver(root, rows.filter((r) => r.client_id !== 1), 'overwrite');
    await sleep(REFRESH_MS + 50);
    const gone = await same('GET', url, analyst);
    expect(gone.status).toBe(404);
    const text = (await rawRequest(fast.url, 'GET', '/metrics', {})).body.toString();
    expect(text).toMatch(/^gateway_fast_path_answers_total\{result="passed-on"\} [1-9]/m);
  });
});
