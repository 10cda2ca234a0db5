/**
 * The dashboard in a real browser: headless Chromium (Debian's `chromium` package, driven by
 * puppeteer-core) against the gateway serving the built page, over silver tables written to a
 * temp folder. Every figure the page shows is compared with the API's answer for the same view.
 * Screenshots (laptop and phone) go to test-artifacts/dashboard/.
 *
 * Auth: the gateway on this branch has no API keys yet, so a tiny check in front of /analytics
 * (a Fastify hook, switched on by the 401 test) answers 401 without `Authorization: Bearer <key>`,
 * as the gateway's own auth will.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import puppeteer, { Browser, HTTPResponse, Page } from 'puppeteer-core';
import { Row } from '@app/delta';
import { KEYS, startTestGateway, TestGateway } from '../support/gateway';
import { addDays, Client, clientDay, tempLakehouse, writeSilver } from '../../libs/analytics/test/silver-fixtures';

// The build script is plain JavaScript (it runs before anything is compiled).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { buildDashboard } = require('../../apps/analytics-gateway/dashboard/build.js') as { buildDashboard: () => Promise<unknown> };

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = path.join(__dirname, '..', '..', 'test-artifacts', 'dashboard');
const API_KEY = KEYS.analyst;
const REFRESH_MS = 50;

const TODAY = new Date().toISOString().slice(0, 10);
const COUNTRIES = ['France', 'Belgique', 'Suisse'];
/** 14 clients (two pages of top customers), both segments, three countries. */
const CLIENTS: Client[] = Array.from({ length: 14 }, (_, i) => ({
  client_id: i + 1,
  client_nom: `Client ${String.fromCharCode(65 + i)}`,
  pays: COUNTRIES[i % 3],
  segment: i % 4 === 0 ? 'Entreprise' : 'Particulier',
}));
/** Days relative to today: sales today, yesterday, 10 and 40 days ago (two months, several weeks). */
const DAYS = [0, -1, -10, -40].map((d) => addDays(TODAY, d));

function clientDays(): Row[] {
  const rows: Row[] = [];
  DAYS.forEach((jour, d) =>
    CLIENTS.forEach((client, c) => {
      if ((c + d) % 3 === 2) return; // not every client every day
      const purchases = Array.from({ length: 1 + ((c * 7 + d) % 3) }, (_, p) => ({
        produit_id: 101 + p,
        quantite: 1 + p,
        montant: 15.5 * (c + 1) + 100 * p + 0.99,
      }));
      rows.push(clientDay(client, jour, purchases));
    }),
  );
  return rows;
}

/** The second silver run: client A, the smallest spender, buys for 50,000 today and tops the list. */
const NEW_SALE = clientDay(CLIENTS[0], TODAY, [{ produit_id: 110, quantite: 1, montant: 50_000 }]);

/** The gateway with real API keys (test/support/gateway.ts): the page is public, its API calls need the analyst key. */
function startGateway(root: string): Promise<TestGateway> {
  return startTestGateway({ LAKEHOUSE_ROOT: root, SNAPSHOT_REFRESH_INTERVAL: `${REFRESH_MS}ms` });
}

/** What the page's browser-side code sees, evaluated in the page (the test's TypeScript has no DOM types). */
function inPage<T>(page: Page, expression: string): Promise<T> {
  return page.evaluate(expression) as Promise<T>;
}

/** Waits until the page has finished a load (`data-loaded` past `after`) and every chart shown is drawn or empty. */
async function settled(page: Page, after: number): Promise<number> {
  await page.waitForFunction(
    `Number(document.body.dataset.loaded || 0) > ${after} &&
     [...document.querySelectorAll('.chart')].filter((c) => !c.closest('[hidden]')).every((c) => c.dataset.state === 'drawn' || c.dataset.state === 'empty')`,
    { timeout: 30_000 },
  );
  return loadCount(page);
}

const loadCount = (page: Page) => inPage<number>(page, 'Number(document.body.dataset.loaded || 0)');

/** A table's cells' raw values (data-value), row by row. */
const tableValues = (page: Page, id: string) =>
  inPage<string[][]>(page, `[...document.querySelectorAll('#${id} tbody tr')].map((tr) => [...tr.cells].map((c) => c.dataset.value))`);
const tableTexts = (page: Page, id: string) =>
  inPage<string[][]>(page, `[...document.querySelectorAll('#${id} tbody tr')].map((tr) => [...tr.cells].map((c) => c.textContent))`);
const kpi = (page: Page, name: string) =>
  inPage<{ value: string; text: string }>(
    page,
    `(() => { const d = document.querySelector('[data-kpi=${name}]'); return { value: d.dataset.value, text: d.textContent }; })()`,
  );

/**
 * A full-page screenshot: the viewport is first grown to the page's height and the charts given
 * time to follow (Chromium's own full-page capture resizes the page while it shoots, and catches
 * charts mid-resize).
 */
async function screenshot(page: Page, file: string): Promise<void> {
  const viewport = page.viewport();
  if (!viewport) throw new Error('page without a viewport');
  const height = await inPage<number>(page, 'document.documentElement.scrollHeight');
  await page.setViewport({ ...viewport, height });
  await new Promise((r) => setTimeout(r, 500));
  await page.screenshot({ path: path.join(ARTIFACTS, file) });
  await page.setViewport(viewport);
}

const sumCents = (values: number[]) => values.reduce((n, v) => n + Math.round(v * 100), 0) / 100;

describe('dashboard (e2e, headless Chromium)', () => {
  const root = tempLakehouse('dashboard-e2e-');
  let gateway: TestGateway;
  let browser: Browser;
  let v1RefreshedAt: string;

  /** The API's answer, as a client with the key would get it. */
  async function api<T = Record<string, unknown>>(pathAndQuery: string): Promise<T> {
    const res = await fetch(`${gateway.url}/analytics/${pathAndQuery}`, { headers: { Authorization: `Bearer ${API_KEY}` } });
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  }

  /** A new tab (its own sessionStorage) that records console errors, uncaught exceptions and failed requests. */
  async function openPage(
    width = 1366,
    height = 900,
    mobile = false,
    withKey = true,
  ): Promise<{ page: Page; problems: string[]; responses: HTTPResponse[] }> {
    const page = await browser.newPage();
    // As if the key had been entered once in this tab: the page keeps it in sessionStorage.
    if (withKey) await page.evaluateOnNewDocument(`sessionStorage.setItem('lakehouse.analytics.apiKey', ${JSON.stringify(API_KEY)})`);
    await page.setViewport({ width, height, isMobile: mobile, hasTouch: mobile, deviceScaleFactor: mobile ? 2 : 1 });
    const problems: string[] = [];
    const responses: HTTPResponse[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e instanceof Error ? e.message : String(e)}`));
    page.on('requestfailed', (r) => {
      // A view left before its answers came cancels them on purpose.
      if (r.failure()?.errorText !== 'net::ERR_ABORTED') problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
    });
    page.on('response', (r) => {
      responses.push(r);
      if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
    });
    return { page, problems, responses };
  }

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    await buildDashboard();
    await writeSilver(root, clientDays());
    gateway = await startGateway(root);
    v1RefreshedAt = (await api<{ last_silver_refresh: string }>('freshness')).last_silver_refresh;
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      // Root in CI containers: Chromium's sandbox needs user namespaces it may not have.
      args: ['--no-sandbox', '--lang=en-US', '--disable-gpu', '--disable-dev-shm-usage'],
      env: { ...process.env, LANG: 'en_US.UTF-8', TZ: 'UTC' },
    });
  });

  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('Chromium is installed where the tests look for it', () => {
    expect(existsSync(CHROMIUM)).toBe(true);
  });

  it('serves the page at / without a key, with hashed, cacheable, compressed assets', async () => {
    const res = await fetch(`${gateway.url}/`, { headers: { 'Accept-Encoding': 'br, gzip' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const html = await res.text();
    const js = /src="\/(app-[A-Z0-9]{8}\.js)"/.exec(html)?.[1];
    expect(js).toBeDefined();
    const asset = await fetch(`${gateway.url}/${js}`, { headers: { 'Accept-Encoding': 'br' } });
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-encoding')).toBe('br');
    expect(asset.headers.get('cache-control')).toContain('immutable');
    // Anything else is still the API's JSON 404.
    const missing = await fetch(`${gateway.url}/nothing-here`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ statusCode: 404 });
  });

  describe('the overview', () => {
    let page: Page;
    let problems: string[];

    beforeAll(async () => {
      ({ page, problems } = await openPage());
      await page.goto(`${gateway.url}/`, { waitUntil: 'load' });
      await settled(page, 0);
    });

    afterAll(() => page.close());

    it('loads with no console error and no failed request', () => {
      expect(problems).toEqual([]);
    });

    it('draws every chart as SVG, and describes it for screen readers', async () => {
      const charts = await inPage<{ id: string; state: string; paths: number; label: string }[]>(
        page,
        `[...document.querySelectorAll('#overview .chart')].map((c) => ({ id: c.id, state: c.dataset.state, paths: c.querySelectorAll('svg path').length, label: c.getAttribute('aria-label') }))`,
      );
      expect(charts.map((c) => c.id)).toEqual(['chart-trend', 'chart-country', 'chart-loyalty', 'chart-segments', 'chart-tiers']);
      for (const c of charts) {
        expect(c).toMatchObject({ state: 'drawn' });
        expect(c.paths).toBeGreaterThan(0);
        expect(c.label.length).toBeGreaterThan(10);
      }
    });

    it('shows the headline figures the API gives, formatted for the browser locale', async () => {
      const countries = await api<{ countries: { revenue_total: number; total_transactions: number }[] }>('revenue-by-country');
      const today = await api<{ countries: { revenue_total: number; total_transactions: number }[] }>(
        `revenue-by-country?from=${TODAY}&to=${TODAY}`,
      );
      const loyalty = await api<{ total_customers: number; repeat_purchase_rate: number }>('loyalty');
      const revenue = sumCents(countries.countries.map((c) => c.revenue_total));
      const sales = countries.countries.reduce((n, c) => n + c.total_transactions, 0);
      const eur = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'EUR' });
      const int = new Intl.NumberFormat('en-US');
      expect(await kpi(page, 'revenue')).toEqual({ value: String(revenue), text: eur.format(revenue) });
      expect(await kpi(page, 'sales')).toEqual({ value: String(sales), text: int.format(sales) });
      expect(await kpi(page, 'customers')).toEqual({ value: String(loyalty.total_customers), text: int.format(loyalty.total_customers) });
      const basket = Math.round((revenue / sales) * 100) / 100;
      expect(await kpi(page, 'basket')).toEqual({ value: String(basket), text: eur.format(basket) });
      const todayRevenue = sumCents(today.countries.map((c) => c.revenue_total));
      expect(todayRevenue).toBeGreaterThan(0);
      expect(await kpi(page, 'revenueToday')).toEqual({ value: String(todayRevenue), text: eur.format(todayRevenue) });
      expect((await kpi(page, 'salesToday')).value).toBe(String(today.countries.reduce((n, c) => n + c.total_transactions, 0)));
      expect(await inPage(page, `document.querySelector('#repeat-rate').dataset.value`)).toBe(String(loyalty.repeat_purchase_rate));
      expect(revenue).toBeGreaterThan(1000); // thousands separators are exercised
      expect(eur.format(revenue)).toContain(',');
    });

    it('shows each chart’s data as a table equal to the API’s answer', async () => {
      const countries = await api<{ countries: Record<string, number | string>[] }>('revenue-by-country');
      expect(await tableValues(page, 'table-country')).toEqual(
        countries.countries.map((c) =>
          [c.pays, c.revenue_total, c.total_transactions, c.transaction_moyenne, c.items_sold, c.unique_customers].map(String),
        ),
      );
      const trend = await api<{ periods: Record<string, number | string>[] }>('revenue-trends?granularity=day');
      expect(await tableValues(page, 'table-trend')).toEqual(
        trend.periods.map((p) => [p.period, p.revenue_total, p.total_transactions, p.unique_customers].map(String)),
      );
      expect(trend.periods).toHaveLength(DAYS.length);
      const segments = await api<{ segments: Record<string, number | string>[] }>('segments');
      expect(await tableValues(page, 'table-segments')).toEqual(
        segments.segments.map((s) =>
          [s.segment, s.revenue_total, s.total_transactions, s.transaction_moyenne, s.unique_customers].map(String),
        ),
      );
      const loyalty = await api<Record<string, number> & { spending_tiers: Record<string, number | string>[] }>('loyalty');
      expect((await tableValues(page, 'table-loyalty')).map((r) => r.slice(1))).toEqual([
        [String(loyalty.loyal_customers), String(loyalty.loyal_revenue)],
        [String(loyalty.occasional_customers), String(loyalty.occasional_revenue)],
      ]);
      expect(await tableValues(page, 'table-tiers')).toEqual(
        loyalty.spending_tiers.map((t) => [t.segment_depense, t.client_days, t.revenue_total].map(String)),
      );
      const top = await api<{ customers: Record<string, number | string>[] }>('top-customers?limit=10');
      expect(await tableValues(page, 'table-top')).toEqual(
        top.customers.map((c, i) => [i + 1, c.client_nom, c.pays, c.segment, c.total_depense, c.nb_achats, c.total_quantite].map(String)),
      );
      // Segment names are translated for people; the raw value stays the API's.
      expect((await tableTexts(page, 'table-segments')).map((r) => r[0]).sort()).toEqual(['Business', 'Individual']);
    });

    it('pages through top customers, and the URL keeps the page', async () => {
      const all = await api<{ customers: Record<string, number | string>[] }>('top-customers?limit=20');
      expect(all.customers).toHaveLength(CLIENTS.length);
      expect(await inPage(page, `document.querySelector('#page-prev').disabled`)).toBe(true);
      expect(await inPage(page, `document.querySelector('#page-next').disabled`)).toBe(false);
      const before = await loadCount(page);
      await page.click('#page-next');
      await settled(page, before);
      expect(new URL(page.url()).searchParams.get('offset')).toBe('10');
      expect(await tableValues(page, 'table-top')).toEqual(
        all.customers
          .slice(10)
          .map((c, i) => [i + 11, c.client_nom, c.pays, c.segment, c.total_depense, c.nb_achats, c.total_quantite].map(String)),
      );
      expect(await inPage(page, `document.querySelector('#page-next').disabled`)).toBe(true);
      expect(await inPage(page, `document.querySelector('#page-prev').disabled`)).toBe(false);
      expect(await inPage(page, `document.querySelector('#page-info').textContent`)).toBe(`Customers 11–14 of ${CLIENTS.length}`);
      const back = await loadCount(page);
      await page.goBack();
      await settled(page, back);
      expect((await tableValues(page, 'table-top'))[0][0]).toBe('1');
    });

    it('filters by country and segment: top customers and headline follow, the URL keeps them', async () => {
      let before = await loadCount(page);
      await page.select('select[name=pays]', 'France');
      await settled(page, before);
      expect(new URL(page.url()).searchParams.get('pays')).toBe('France');
      const france = await api<{ customers: Record<string, number | string>[] }>('top-customers?limit=10&pays=France');
      expect((await tableValues(page, 'table-top')).map((r) => r[1])).toEqual(france.customers.map((c) => c.client_nom));
      expect(new Set((await tableValues(page, 'table-top')).map((r) => r[2]))).toEqual(new Set(['France']));
      const countries = await api<{ countries: { pays: string; revenue_total: number; unique_customers: number }[] }>('revenue-by-country');
      const row = countries.countries.find((c) => c.pays === 'France');
      expect((await kpi(page, 'revenue')).value).toBe(String(row?.revenue_total));
      expect((await kpi(page, 'customers')).value).toBe(String(row?.unique_customers));

      before = await loadCount(page);
      await page.select('select[name=segment]', 'Entreprise');
      await settled(page, before);
      const url = new URL(page.url());
      expect([url.searchParams.get('pays'), url.searchParams.get('segment')]).toEqual(['France', 'Entreprise']);
      const both = await api<{ customers: Record<string, number | string>[] }>('top-customers?limit=10&pays=France&segment=Entreprise');
      expect(both.customers.length).toBeGreaterThan(0);
      expect((await tableValues(page, 'table-top')).map((r) => r[1])).toEqual(both.customers.map((c) => c.client_nom));
    });

    it('restores a shared view from its URL: date range and granularity', async () => {
      const from = DAYS[2];
      const to = DAYS[1];
      const before = await loadCount(page);
      await page.goto(`${gateway.url}/?from=${from}&to=${to}&granularity=week`, { waitUntil: 'load' });
      await settled(page, before > 0 ? 0 : before);
      expect(
        await inPage(
          page,
          `[document.querySelector('input[name=from]').value, document.querySelector('input[name=to]').value, document.querySelector('select[name=granularity]').value]`,
        ),
      ).toEqual([from, to, 'week']);
      const trend = await api<{ periods: Record<string, number | string>[] }>(`revenue-trends?granularity=week&from=${from}&to=${to}`);
      expect(await tableValues(page, 'table-trend')).toEqual(
        trend.periods.map((p) => [p.period, p.revenue_total, p.total_transactions, p.unique_customers].map(String)),
      );
      const loyalty = await api<{ total_customers: number }>(`loyalty?from=${from}&to=${to}`);
      expect((await kpi(page, 'customers')).value).toBe(String(loyalty.total_customers));
      // The range ends yesterday: the "today" figures are those of its last day.
      const lastDay = await api<{ countries: { revenue_total: number }[] }>(`revenue-by-country?from=${to}&to=${to}`);
      expect((await kpi(page, 'revenueToday')).value).toBe(String(sumCents(lastDay.countries.map((c) => c.revenue_total))));
      expect(await inPage(page, `document.querySelector('#kpi-revenue-today-label').textContent`)).toMatch(/^Revenue on /);
    });

    it('opens a customer page from the top customers with the keyboard, with their daily history', async () => {
      const before = await loadCount(page);
      await page.goto(`${gateway.url}/`, { waitUntil: 'load' });
      await settled(page, before > 0 ? 0 : before);
      const top = await api<{ customers: { client_id: number; client_nom: string }[] }>('top-customers?limit=1');
      const first = top.customers[0];
      const loaded = await loadCount(page);
      await page.focus('#table-top tbody a');
      await page.keyboard.press('Enter');
      await settled(page, loaded);
      expect(new URL(page.url()).searchParams.get('client')).toBe(String(first.client_id));
      expect(await inPage(page, `document.activeElement.id`)).toBe('customer-title');
      expect(await inPage(page, `document.querySelector('#customer-title').textContent`)).toBe(first.client_nom);
      const customer = await api<{ history: Record<string, number | string | boolean>[] }>(`customers/${first.client_id}`);
      expect(await tableValues(page, 'table-history')).toEqual(
        customer.history.map((d) =>
          [
            d.jour,
            d.total_depense,
            d.nb_achats,
            d.total_quantite,
            d.panier_moyen,
            d.nb_produits_distincts,
            d.segment_depense,
            d.est_client_fidele,
          ].map(String),
        ),
      );
      expect(await inPage(page, `document.querySelector('#chart-history').dataset.state`)).toBe('drawn');
      expect(await inPage(page, `document.querySelector('#overview').hidden`)).toBe(true);
    });
  });

  describe('accessibility and layout', () => {
    async function axeViolations(page: Page): Promise<{ id: string; impact: string; nodes: number }[]> {
      // Evaluated through the DevTools protocol: the page's Content-Security-Policy ('self' scripts only) would refuse a script tag.
      await page.evaluate(readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));
      // Tables inside closed <details> are checked too.
      await inPage(page, `document.querySelectorAll('details').forEach((d) => (d.open = true))`);
      return inPage(
        page,
        `axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, targets: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) })))`,
      );
    }

    it.each([
      ['laptop', 1366, 900, false],
      ['phone', 390, 844, true],
    ])('%s: no serious or critical axe violation, no sideways scrolling; screenshots saved', async (name, width, height, mobile) => {
      const { page, problems } = await openPage(width as number, height as number, mobile as boolean);
      await page.goto(`${gateway.url}/`, { waitUntil: 'load' });
      await settled(page, 0);
      await screenshot(page, `overview-${name}.png`);
      expect(await inPage(page, 'document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
      expect(await axeViolations(page)).toEqual([]);

      const client = (await api<{ customers: { client_id: number }[] }>('top-customers?limit=1')).customers[0].client_id;
      await page.goto(`${gateway.url}/?client=${client}`, { waitUntil: 'load' });
      await settled(page, 0);
      await screenshot(page, `customer-${name}.png`);
      expect(await inPage(page, 'document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
      expect(await axeViolations(page)).toEqual([]);
      expect(problems).toEqual([]);
      await page.close();
    });

    it('speaks French with French number formats', async () => {
      const { page, problems } = await openPage();
      await page.goto(`${gateway.url}/?lang=fr-FR`, { waitUntil: 'load' });
      await settled(page, 0);
      expect(await inPage(page, 'document.documentElement.lang')).toBe('fr');
      expect(await inPage(page, `document.querySelector('#trend-title').textContent`)).toBe('Évolution du chiffre d’affaires');
      const revenue = Number((await kpi(page, 'revenue')).value);
      expect((await kpi(page, 'revenue')).text).toBe(
        new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR' }).format(revenue),
      );
      await screenshot(page, 'overview-laptop-fr.png');
      expect(problems).toEqual([]);
      await page.close();
    });
  });

  describe('when silver changes, and time travel', () => {
    let page: Page;

    beforeAll(async () => {
      ({ page } = await openPage());
      await page.goto(`${gateway.url}/`, { waitUntil: 'load' });
      await settled(page, 0);
      await new Promise((r) => setTimeout(r, 20)); // distinct commit times for the two versions
      await writeSilver(root, [...clientDays(), NEW_SALE], 'overwrite');
    });

    afterAll(() => page.close());

    it('shows the new figures without a reload once silver has a new version (freshness is polled)', async () => {
      const topName = CLIENTS[0].client_nom;
      expect((await tableValues(page, 'table-top'))[0][1]).not.toBe(topName);
      await page.waitForFunction(`document.querySelector('#freshness').textContent.includes('ventes_par_segment v2')`, { timeout: 30_000 });
      await page.waitForFunction(`document.querySelector('#table-top tbody tr th + td')?.dataset.value === ${JSON.stringify(topName)}`, {
        timeout: 30_000,
      });
      await settled(page, 0);
      const today = await api<{ countries: { revenue_total: number }[] }>(`revenue-by-country?from=${TODAY}&to=${TODAY}`);
      expect((await kpi(page, 'revenueToday')).value).toBe(String(sumCents(today.countries.map((c) => c.revenue_total))));
      expect(await inPage(page, `document.querySelector('#freshness').textContent`)).toContain('ventes_aggreges v2');
    });

    it('time travel to a version shows the numbers as they were, and says so', async () => {
      const before = await loadCount(page);
      await page.select('select[name=asOfMode]', 'version');
      await page.type('input[name=asOfVersion]', '1');
      await page.keyboard.press('Tab'); // commits the value (a change event)
      await settled(page, before);
      expect(new URL(page.url()).searchParams.get('asOfVersion')).toBe('1');
      expect(await inPage(page, `document.querySelector('#travel').hidden`)).toBe(false);
      const old = await api<{ customers: Record<string, number | string>[] }>('top-customers?limit=10&asOfVersion=1');
      expect((await tableValues(page, 'table-top')).map((r) => r[1])).toEqual(old.customers.map((c) => c.client_nom));
      const oldToday = await api<{ countries: { revenue_total: number }[] }>(`revenue-by-country?from=${TODAY}&to=${TODAY}&asOfVersion=1`);
      expect((await kpi(page, 'revenueToday')).value).toBe(String(sumCents(oldToday.countries.map((c) => c.revenue_total))));
    });

    it('time travel to an instant reads the version committed then', async () => {
      await page.goto(`${gateway.url}/?asOfTimestamp=${encodeURIComponent(v1RefreshedAt)}`, { waitUntil: 'load' });
      await settled(page, 0);
      expect(await inPage(page, `document.querySelector('select[name=asOfMode]').value`)).toBe('instant');
      const old = await api<{ countries: Record<string, number | string>[] }>(
        `revenue-by-country?asOfTimestamp=${encodeURIComponent(v1RefreshedAt)}`,
      );
      expect(await tableValues(page, 'table-country')).toEqual(
        old.countries.map((c) =>
          [c.pays, c.revenue_total, c.total_transactions, c.transaction_moyenne, c.items_sold, c.unique_customers].map(String),
        ),
      );
      const latest = await api<{ countries: { revenue_total: number }[] }>('revenue-by-country');
      expect(sumCents(old.countries.map((c) => Number(c.revenue_total)))).toBeLessThan(
        sumCents(latest.countries.map((c) => c.revenue_total)),
      );
    });
  });

  describe('without an API key', () => {
    it('asks for a key on a 401, then sends it as a Bearer token and shows the figures', async () => {
      const { page, problems, responses } = await openPage(1366, 900, false, false);
      await page.goto(`${gateway.url}/`, { waitUntil: 'load' });
      await page.waitForSelector('#key-dialog[open]');
      expect(await inPage(page, `document.querySelector('#status').textContent`)).toContain('API key');
      expect(problems.length).toBeGreaterThan(0);
      expect(problems.every((p) => /401|status of 401/.test(p))).toBe(true);
      await screenshot(page, 'api-key-prompt.png');

      const before = await loadCount(page);
      await page.type('#key-dialog input[name=key]', API_KEY);
      await page.keyboard.press('Enter');
      await settled(page, before);
      const analytics = responses.filter((r) => r.url().includes('/analytics/'));
      const last = analytics[analytics.length - 1];
      expect(last.request().headers().authorization).toBe(`Bearer ${API_KEY}`);
      // 304 when the browser revalidates an answer it already holds (the gateway's ETag): still an authorized answer.
      expect([200, 304]).toContain(last.status());
      expect(await inPage(page, `document.querySelector('#status').hidden`)).toBe(true);
      expect(await inPage(page, `sessionStorage.getItem('lakehouse.analytics.apiKey')`)).toBe(API_KEY);
      expect((await kpi(page, 'revenue')).value).not.toBe(undefined);
      await page.close();
    });
  });
});
