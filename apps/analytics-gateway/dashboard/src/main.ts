/**
 * The dashboard page: reads the public /analytics API (the same answers, keys and limits as any
 * client), draws each answer as soon as it arrives, keeps the view in the URL, and reloads when
 * the silver tables change.
 */
import './styles.css';
import {
  AnalyticsApi,
  ApiError,
  Customer,
  Freshness,
  Loyalty,
  Query,
  RevenueByCountry,
  RevenueTrends,
  Segments,
  TopCustomers,
} from './api';
import { AXIS_LABEL, Chart, ChartOption, GRID, PALETTE } from './charts';
import { Formats } from './format';
import { fill, label, Language, languageOf, Strings, stringsFor } from './i18n';
import { asOfQuery, formatState, isTimeTravelling, parseState, rangeQuery, ViewState } from './state';
import { Column, renderTable } from './tables';

/** Rows per top-customers page. */
const PAGE_SIZE = 10;
/** The API's largest top-customers limit: the last row reachable when the gateway has no `offset`. */
const MAX_LIMIT = 100;
/** Performance marks read by the benchmark (bench/dashboard): the first headline figure shown, and the first view fully drawn. */
const FIGURES_MARK = 'dashboard-figures';
const READY_MARK = 'dashboard-ready';
/** How often the page asks whether silver has changed. */
const FRESHNESS_POLL_MS = 5000;

const $ = <T extends HTMLElement>(selector: string): T => {
  const element = document.querySelector<T>(selector);
  if (!element) throw new Error(`dashboard markup lacks ${selector}`);
  return element;
};

function todayUtc(): string {
  return new Date().toISOString().slice(0, 10);
}

/** Sum of money in cents, so that adding answers rounded to cents stays exact. */
function sumMoney(values: number[]): number {
  return values.reduce((cents, v) => cents + Math.round(v * 100), 0) / 100;
}

/** The value of a datetime-local input for an ISO instant, in the browser's time zone. */
function toLocalInput(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
}

class Dashboard {
  private readonly api = new AnalyticsApi();
  private state: ViewState = parseState(location.search);
  private locale = '';
  private strings!: Strings;
  private fmt!: Formats;
  private currency = 'EUR';
  /** Whether the gateway pages top customers with `offset` (it says so with a `page` object); unknown until an answer tells. */
  private offsetSupported?: boolean;
  private lastSilverRefresh?: string | null;
  private loadController?: AbortController;
  private keyPromptOpen = false;

  private readonly form = $<HTMLFormElement>('#controls');
  private readonly charts = {
    trend: new Chart($('#chart-trend')),
    country: new Chart($('#chart-country')),
    segments: new Chart($('#chart-segments')),
    tiers: new Chart($('#chart-tiers')),
    loyalty: new Chart($('#chart-loyalty')),
    history: new Chart($('#chart-history')),
  };

  start(): void {
    for (const chart of Object.values(this.charts)) chart.onDrawn = () => this.markIfReady();
    this.applyLanguage();
    this.wireControls();
    this.showState();
    void this.load();
    setInterval(() => {
      if (document.visibilityState === 'visible') void this.pollFreshness();
    }, FRESHNESS_POLL_MS);
  }

  // ------------------------------------------------------------------------------------------
  // Language and state
  // ------------------------------------------------------------------------------------------

  private applyLanguage(): void {
    this.locale = this.state.lang || navigator.language || 'en';
    const language: Language = languageOf(this.locale);
    this.strings = stringsFor(language);
    this.fmt = new Formats(this.locale);
    document.documentElement.lang = language;
    document.title = this.strings.title;
    for (const el of document.querySelectorAll<HTMLElement>('[data-i18n]'))
      el.textContent = this.strings[el.dataset.i18n as keyof Strings] ?? el.textContent;
    $('select[name=asOfMode]').setAttribute('aria-label', this.strings.timeTravel);
    $('.pager').setAttribute('aria-label', this.strings.topCustomers);
    document.body.style.setProperty('--loading-text', JSON.stringify(this.strings.loading));
    document.body.style.setProperty('--empty-text', JSON.stringify(this.strings.noData));
    for (const [name, chart] of Object.entries(this.charts)) {
      const title = chart.element.closest('section')?.querySelector('h2, h3')?.textContent;
      if (title && chart.element.dataset.state !== 'drawn') chart.element.setAttribute('aria-label', title || name);
    }
  }

  /** Puts the state in the URL (a new history entry, so Back undoes it) and shows it. */
  private navigate(state: ViewState): void {
    const languageChanged = state.lang !== this.state.lang;
    this.state = state;
    history.pushState(null, '', formatState(state) || location.pathname);
    if (languageChanged) this.applyLanguage();
    this.showState();
    void this.load();
  }

  /** The controls, banners and sections as the state says. */
  private showState(): void {
    const s = this.state;
    const field = <T extends HTMLInputElement | HTMLSelectElement>(name: string) => this.form.elements.namedItem(name) as T;
    field<HTMLInputElement>('from').value = s.from ?? '';
    field<HTMLInputElement>('to').value = s.to ?? '';
    this.ensureCountryOption(s.pays);
    field<HTMLSelectElement>('pays').value = s.pays ?? '';
    field<HTMLSelectElement>('segment').value = s.segment ?? '';
    $<HTMLSelectElement>('select[name=granularity]').value = s.granularity;
    const mode = s.asOfVersion !== undefined ? 'version' : s.asOfTimestamp ? 'instant' : 'latest';
    field<HTMLSelectElement>('asOfMode').value = mode;
    field<HTMLInputElement>('asOfVersion').value = s.asOfVersion?.toString() ?? '';
    field<HTMLInputElement>('asOfTimestamp').value = s.asOfTimestamp ? toLocalInput(s.asOfTimestamp) : '';
    this.showAsOfInputs(mode);
    $<HTMLSelectElement>('#lang').value = s.lang ? languageOf(s.lang) : '';

    const travel = $('#travel');
    travel.hidden = !isTimeTravelling(s);
    if (isTimeTravelling(s)) {
      const when = s.asOfVersion !== undefined ? `${this.strings.version} ${s.asOfVersion}` : this.fmt.instant(s.asOfTimestamp as string);
      $('#travel-text').textContent = `${this.strings.timeTravelling}${this.strings.colon}${when}.`;
      $<HTMLAnchorElement>('#travel-back').href = formatState({ ...s, asOfVersion: undefined, asOfTimestamp: undefined }) || '?';
    }
    $('#overview').hidden = s.client !== undefined;
    $('#customer').hidden = s.client === undefined;
    $<HTMLAnchorElement>('#customer-back').href = formatState({ ...s, client: undefined }) || '?';

    const headDay = this.headlineDay();
    const isToday = headDay === todayUtc();
    $('#kpi-revenue-today-label').textContent = isToday
      ? this.strings.revenueToday
      : fill(this.strings.revenueOn, { day: this.fmt.day(headDay) });
    $('#kpi-sales-today-label').textContent = isToday
      ? this.strings.salesToday
      : fill(this.strings.salesOn, { day: this.fmt.day(headDay) });
    const ranged = s.from !== undefined || s.to !== undefined;
    $('#kpi-revenue-label').textContent = ranged ? this.strings.revenueRange : this.strings.revenueAllTime;
    $('#kpi-sales-label').textContent = ranged ? this.strings.salesRange : this.strings.salesAllTime;
  }

  private showAsOfInputs(mode: string): void {
    for (const el of this.form.querySelectorAll<HTMLElement>('[data-mode]')) el.hidden = el.dataset.mode !== mode;
  }

  /** "Today" in the headline: the current UTC day, or the range's last day when the range ends before it. */
  private headlineDay(): string {
    const today = todayUtc();
    return this.state.to && this.state.to < today ? this.state.to : today;
  }

  private wireControls(): void {
    const form = this.form;
    form.addEventListener('submit', (e) => e.preventDefault());
    form.addEventListener('change', (e) => {
      const target = e.target as HTMLInputElement | HTMLSelectElement;
      if (target.name === 'asOfMode') {
        this.showAsOfInputs(target.value);
        if (target.value !== 'latest') {
          (form.elements.namedItem(target.value === 'version' ? 'asOfVersion' : 'asOfTimestamp') as HTMLInputElement).focus();
          return; // the time travel starts once its value is given
        }
      }
      this.navigate(this.readControls());
    });
    form.addEventListener('reset', (e) => {
      e.preventDefault();
      this.navigate({ granularity: 'day', offset: 0, lang: this.state.lang });
    });
    $<HTMLSelectElement>('#lang').addEventListener('change', (e) =>
      this.navigate({ ...this.state, lang: (e.target as HTMLSelectElement).value || undefined }),
    );
    $('#page-prev').addEventListener('click', () => this.navigate({ ...this.state, offset: Math.max(0, this.state.offset - PAGE_SIZE) }));
    $('#page-next').addEventListener('click', () => this.navigate({ ...this.state, offset: this.state.offset + PAGE_SIZE }));
    $('#key-button').addEventListener('click', () => this.promptKey(false));
    $('#key-cancel').addEventListener('click', () => $<HTMLDialogElement>('#key-dialog').close('cancel'));
    $<HTMLDialogElement>('#key-dialog').addEventListener('close', () => this.keyDialogClosed());
    // Links within the page (customer names, back links) change the view without reloading it.
    document.addEventListener('click', (e) => {
      const link = (e.target as Element).closest?.('a');
      if (!link || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      const url = new URL(link.href);
      if (url.origin !== location.origin || url.pathname !== location.pathname) return;
      e.preventDefault();
      const wasCustomer = this.state.client;
      this.navigate(parseState(url.search));
      // Keyboard and screen-reader users land on what they asked for.
      if (this.state.client !== wasCustomer) (this.state.client ? $('#customer-title') : $('#main')).focus();
    });
    window.addEventListener('popstate', () => {
      const lang = this.state.lang;
      this.state = parseState(location.search);
      if (lang !== this.state.lang) this.applyLanguage();
      this.showState();
      void this.load();
    });
  }

  private readControls(): ViewState {
    const value = (name: string) =>
      (this.form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement | null)?.value.trim() || undefined;
    const mode = value('asOfMode');
    const version = value('asOfVersion');
    const instant = value('asOfTimestamp');
    const instantDate = instant ? new Date(instant) : undefined;
    const search = formatState({
      from: value('from'),
      to: value('to'),
      pays: value('pays'),
      segment: value('segment'),
      granularity: (value('granularity') as ViewState['granularity']) ?? 'day',
      asOfVersion: mode === 'version' && version !== undefined && /^\d+$/.test(version) ? Number(version) : undefined,
      asOfTimestamp: mode === 'instant' && instantDate && !Number.isNaN(instantDate.getTime()) ? instantDate.toISOString() : undefined,
      offset: 0, // another view starts at the first page
      lang: this.state.lang,
    });
    // Through the URL form and back: the same checks as a shared link.
    return parseState(search);
  }

  private ensureCountryOption(pays: string | undefined): void {
    const select = this.form.elements.namedItem('pays') as HTMLSelectElement;
    if (pays && ![...select.options].some((o) => o.value === pays)) select.add(new Option(pays, pays));
  }

  private setCountries(countries: string[]): void {
    const select = this.form.elements.namedItem('pays') as HTMLSelectElement;
    const names = [...new Set([...countries, ...(this.state.pays ? [this.state.pays] : [])])].sort((a, b) =>
      a.localeCompare(b, this.locale),
    );
    const current = [...select.options].slice(1).map((o) => o.value);
    if (names.join('\n') === current.join('\n')) return;
    select.replaceChildren(select.options[0], ...names.map((n) => new Option(n, n)));
    select.value = this.state.pays ?? '';
  }

  // ------------------------------------------------------------------------------------------
  // Loading
  // ------------------------------------------------------------------------------------------

  /** Loads everything the view shows; `quiet` (a silver refresh) keeps the current drawings until the new ones are ready. */
  private async load(quiet = false): Promise<void> {
    this.loadController?.abort();
    const controller = (this.loadController = new AbortController());
    const signal = controller.signal;
    this.setStatus(undefined);
    const tasks = [this.loadFreshness(signal)];
    if (this.state.client !== undefined) {
      if (!quiet) this.charts.history.loading();
      tasks.push(this.guard(this.loadCustomer(this.state.client, signal), [this.charts.history]));
    } else {
      if (!quiet)
        for (const c of [this.charts.trend, this.charts.country, this.charts.segments, this.charts.tiers, this.charts.loyalty]) c.loading();
      tasks.push(
        this.guard(this.loadCountries(signal), [this.charts.country]),
        this.guard(this.loadToday(signal), []),
        this.guard(this.loadTrend(signal), [this.charts.trend]),
        this.guard(this.loadSegments(signal), [this.charts.segments]),
        this.guard(this.loadLoyalty(signal), [this.charts.loyalty, this.charts.tiers]),
        this.guard(this.loadTopCustomers(signal), []),
      );
    }
    await Promise.all(tasks);
    if (signal.aborted) return;
    document.body.dataset.loaded = String(Number(document.body.dataset.loaded ?? 0) + 1);
    this.markIfReady();
  }

  /**
   * Marks the moment the first view is complete (its answers in, every chart drawn) as the
   * performance entry `dashboard-ready`, which the benchmark reads (bench/dashboard).
   */
  private markIfReady(): void {
    if (!document.body.dataset.loaded || performance.getEntriesByName(READY_MARK).length) return;
    const pending = Object.values(this.charts).some(
      (c) => !c.element.closest('[hidden]') && !['drawn', 'empty', 'error'].includes(c.element.dataset.state ?? ''),
    );
    if (!pending) performance.mark(READY_MARK);
  }

  private get<T>(path: string, query: Query, signal: AbortSignal): Promise<T> {
    return this.api.get<T>(path, query, signal);
  }

  /** A failed part marks its charts and says why once, at the top; the other parts still show. */
  private async guard(task: Promise<void>, charts: Chart[]): Promise<void> {
    try {
      await task;
    } catch (error) {
      if ((error as Error).name === 'AbortError') return;
      for (const c of charts) c.failed();
      this.reportError(error);
    }
  }

  private reportError(error: unknown): void {
    if (error instanceof ApiError && error.needsKey) {
      this.setStatus(this.strings.apiKeyMissing);
      this.promptKey(this.api.key !== null);
      return;
    }
    if (error instanceof ApiError && error.status === 503) return this.setStatus(this.strings.notComputed);
    if (error instanceof ApiError && error.status === 404 && this.state.client !== undefined)
      return this.setStatus(fill(this.strings.customerNotFound, { id: this.state.client }));
    console.warn('dashboard: a request failed', error);
    this.setStatus(fill(this.strings.error, { message: (error as Error).message }));
  }

  private setStatus(message: string | undefined): void {
    const status = $('#status');
    if (message === undefined) {
      status.hidden = true;
      status.textContent = '';
    } else if (!status.textContent?.includes(message)) {
      status.hidden = false;
      status.textContent = status.textContent ? `${status.textContent} ${message}` : message;
    }
  }

  private noteCurrency(answer: { currency?: string }): void {
    if (answer.currency) this.currency = answer.currency;
  }

  private money(value: number): string {
    return this.fmt.money(value, this.currency);
  }

  private kpi(name: string, text: string, value: number): void {
    const el = $(`[data-kpi=${name}]`);
    el.textContent = text;
    el.dataset.value = String(value);
    if (name === 'revenue' && !performance.getEntriesByName(FIGURES_MARK).length) performance.mark(FIGURES_MARK);
  }

  // ------------------------------------------------------------------------------------------
  // Freshness
  // ------------------------------------------------------------------------------------------

  private async loadFreshness(signal?: AbortSignal): Promise<void> {
    try {
      const latest = await this.get<Freshness>('freshness', {}, signal ?? new AbortController().signal);
      this.showFreshness(latest);
      this.lastSilverRefresh = latest.last_silver_refresh;
    } catch (error) {
      if ((error as Error).name !== 'AbortError') this.reportError(error);
    }
  }

  /** Reloads the figures when a silver run has committed since the last look (unless the view is pinned to the past). */
  private async pollFreshness(): Promise<void> {
    try {
      const latest = await this.get<Freshness>('freshness', {}, new AbortController().signal);
      this.showFreshness(latest);
      const changed = this.lastSilverRefresh !== undefined && latest.last_silver_refresh !== this.lastSilverRefresh;
      this.lastSilverRefresh = latest.last_silver_refresh;
      if (changed && !isTimeTravelling(this.state)) await this.load(true);
    } catch (error) {
      // The next poll tries again; the page keeps what it shows.
      console.warn('dashboard: freshness poll failed', error);
    }
  }

  private showFreshness(f: Freshness): void {
    const s = this.strings;
    const when = (iso: string | null) => (iso ? `${this.fmt.ago(iso)} (${this.fmt.instant(iso)})` : s.never);
    const aggregates = f.silver.find((t) => t.table === 'ventes_aggreges');
    const versions = f.silver.filter((t) => t.version !== null).map((t) => `${t.table} v${t.version}`);
    const c = s.colon;
    $('#freshness').textContent =
      `${s.lastEvent}${c}${when(f.bronze.latest_event_time)} · ${s.lastSilver}${c}${when(f.last_silver_refresh)}${versions.length ? ` · ${s.versions}${c}${versions.join(', ')}` : ''}`;
    $('#freshness').dataset.silverRefresh = f.last_silver_refresh ?? '';
    if (aggregates?.version !== null && aggregates?.version !== undefined)
      (this.form.elements.namedItem('asOfVersion') as HTMLInputElement).max = String(aggregates.version);
  }

  // ------------------------------------------------------------------------------------------
  // Overview
  // ------------------------------------------------------------------------------------------

  private async loadCountries(signal: AbortSignal): Promise<void> {
    const answer = await this.get<RevenueByCountry>('revenue-by-country', rangeQuery(this.state), signal);
    this.noteCurrency(answer);
    const s = this.strings;
    const rows = answer.countries;
    this.setCountries(rows.map((c) => c.pays));
    const selected = this.state.pays;

    // Headline: the selected country, or all of them.
    const scope = selected ? rows.filter((c) => c.pays === selected) : rows;
    const revenue = sumMoney(scope.map((c) => c.revenue_total));
    const sales = scope.reduce((n, c) => n + c.total_transactions, 0);
    this.kpi('revenue', this.money(revenue), revenue);
    this.kpi('sales', this.fmt.count(sales), sales);
    const basket = sales ? Math.round((revenue / sales) * 100) / 100 : 0;
    this.kpi('basket', sales ? this.money(basket) : '–', basket);
    if (selected) {
      const customers = scope.reduce((n, c) => n + c.unique_customers, 0);
      this.kpi('customers', this.fmt.count(customers), customers);
    }

    const chart = this.charts.country;
    const columns: Column<(typeof rows)[number]>[] = [
      { label: s.country, value: (r) => r.pays },
      { label: s.revenue, value: (r) => r.revenue_total, format: (r) => this.money(r.revenue_total), numeric: true },
      { label: s.sales, value: (r) => r.total_transactions, format: (r) => this.fmt.count(r.total_transactions), numeric: true },
      { label: s.averageBasket, value: (r) => r.transaction_moyenne, format: (r) => this.money(r.transaction_moyenne), numeric: true },
      { label: s.units, value: (r) => r.items_sold, format: (r) => this.fmt.count(r.items_sold), numeric: true },
      { label: s.customers, value: (r) => r.unique_customers, format: (r) => this.fmt.count(r.unique_customers), numeric: true },
    ];
    renderTable($<HTMLTableElement>('#table-country'), s.byCountry, columns, rows);
    if (!rows.length) return chart.empty();
    // Largest at the top of a horizontal bar chart: ECharts draws categories bottom-up.
    const ordered = [...rows].reverse();
    chart.draw(
      {
        grid: GRID,
        tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: (v) => this.money(Number(v)) },
        xAxis: { type: 'value', axisLabel: { ...AXIS_LABEL, formatter: (v: number) => this.fmt.moneyShort(v, this.currency) } },
        yAxis: { type: 'category', data: ordered.map((c) => c.pays), axisLabel: AXIS_LABEL },
        series: [
          {
            type: 'bar',
            name: s.revenue,
            data: ordered.map((c) => ({
              value: c.revenue_total,
              itemStyle: selected && c.pays !== selected ? { color: '#93a3c8' } : undefined,
            })),
            label: {
              show: true,
              position: 'insideRight',
              color: '#fff',
              formatter: (p) => this.fmt.moneyShort(Number(p.value), this.currency),
            },
          },
        ],
      },
      `${s.byCountry}: ${rows
        .slice(0, 8)
        .map((c) => `${c.pays} ${this.money(c.revenue_total)}`)
        .join(', ')}`,
    );
  }

  private async loadToday(signal: AbortSignal): Promise<void> {
    const day = this.headlineDay();
    const answer = await this.get<RevenueByCountry>('revenue-by-country', { from: day, to: day, ...asOfQuery(this.state) }, signal);
    const scope = this.state.pays ? answer.countries.filter((c) => c.pays === this.state.pays) : answer.countries;
    const revenue = sumMoney(scope.map((c) => c.revenue_total));
    const sales = scope.reduce((n, c) => n + c.total_transactions, 0);
    this.kpi('revenueToday', this.money(revenue), revenue);
    this.kpi('salesToday', this.fmt.count(sales), sales);
  }

  private async loadTrend(signal: AbortSignal): Promise<void> {
    const { granularity } = this.state;
    const answer = await this.get<RevenueTrends>('revenue-trends', { granularity, ...rangeQuery(this.state) }, signal);
    this.noteCurrency(answer);
    const s = this.strings;
    const rows = answer.periods;
    renderTable(
      $<HTMLTableElement>('#table-trend'),
      s.trend,
      [
        { label: s.period, value: (r) => r.period, format: (r) => this.fmt.period(r.period, granularity) },
        { label: s.revenue, value: (r) => r.revenue_total, format: (r) => this.money(r.revenue_total), numeric: true },
        { label: s.sales, value: (r) => r.total_transactions, format: (r) => this.fmt.count(r.total_transactions), numeric: true },
        { label: s.customers, value: (r) => r.unique_customers, format: (r) => this.fmt.count(r.unique_customers), numeric: true },
      ],
      rows,
    );
    if (!rows.length) return this.charts.trend.empty();
    const many = rows.length > 45;
    const option: ChartOption = {
      grid: GRID,
      tooltip: { trigger: 'axis', valueFormatter: (v) => this.money(Number(v)) },
      xAxis: { type: 'category', data: rows.map((p) => this.fmt.period(p.period, granularity, true)), axisLabel: AXIS_LABEL },
      yAxis: { type: 'value', axisLabel: { ...AXIS_LABEL, formatter: (v: number) => this.fmt.moneyShort(v, this.currency) } },
      series: [
        many
          ? {
              type: 'line',
              name: s.revenue,
              data: rows.map((p) => p.revenue_total),
              showSymbol: false,
              areaStyle: { opacity: 0.15 },
              lineStyle: { width: 2 },
            }
          : { type: 'bar', name: s.revenue, data: rows.map((p) => p.revenue_total) },
      ],
    };
    const total = sumMoney(rows.map((p) => p.revenue_total));
    const peak = rows.reduce((a, b) => (b.revenue_total > a.revenue_total ? b : a));
    this.charts.trend.draw(
      option,
      `${s.trend}: ${rows.length} × ${s[granularity].toLowerCase()}, ${this.fmt.period(rows[0].period, granularity)} – ${this.fmt.period(rows[rows.length - 1].period, granularity)}, ${s.revenue} ${this.money(total)}; max ${this.fmt.period(peak.period, granularity)} ${this.money(peak.revenue_total)}`,
    );
  }

  private async loadSegments(signal: AbortSignal): Promise<void> {
    const answer = await this.get<Segments>('segments', asOfQuery(this.state), signal);
    this.noteCurrency(answer);
    const s = this.strings;
    const rows = answer.segments;
    renderTable(
      $<HTMLTableElement>('#table-segments'),
      s.segments,
      [
        { label: s.segment, value: (r) => r.segment, format: (r) => label(s, r.segment) },
        { label: s.revenue, value: (r) => r.revenue_total, format: (r) => this.money(r.revenue_total), numeric: true },
        { label: s.sales, value: (r) => r.total_transactions, format: (r) => this.fmt.count(r.total_transactions), numeric: true },
        { label: s.averageBasket, value: (r) => r.transaction_moyenne, format: (r) => this.money(r.transaction_moyenne), numeric: true },
        { label: s.customers, value: (r) => r.unique_customers, format: (r) => this.fmt.count(r.unique_customers), numeric: true },
      ],
      rows,
    );
    if (!rows.length) return this.charts.segments.empty();
    const selected = this.state.segment;
    this.charts.segments.draw(
      this.donut(
        rows.map((r) => ({ name: label(s, r.segment), value: r.revenue_total, selected: r.segment === selected })),
        (v) => this.money(v),
      ),
      `${s.segments}: ${rows.map((r) => `${label(s, r.segment)} ${this.money(r.revenue_total)}`).join(', ')}`,
    );
  }

  private async loadLoyalty(signal: AbortSignal): Promise<void> {
    const answer = await this.get<Loyalty>('loyalty', rangeQuery(this.state), signal);
    this.noteCurrency(answer);
    const s = this.strings;
    if (!this.state.pays) this.kpi('customers', this.fmt.count(answer.total_customers), answer.total_customers);
    const rate = $('#repeat-rate');
    rate.textContent = this.fmt.share(answer.repeat_purchase_rate);
    rate.dataset.value = String(answer.repeat_purchase_rate);

    const groups = [
      { group: s.loyal, customers: answer.loyal_customers, revenue: answer.loyal_revenue },
      { group: s.occasional, customers: answer.occasional_customers, revenue: answer.occasional_revenue },
    ];
    renderTable(
      $<HTMLTableElement>('#table-loyalty'),
      s.loyalty,
      [
        { label: s.group, value: (r) => r.group },
        { label: s.customers, value: (r) => r.customers, format: (r) => this.fmt.count(r.customers), numeric: true },
        { label: s.revenue, value: (r) => r.revenue, format: (r) => this.money(r.revenue), numeric: true },
      ],
      groups,
    );
    if (answer.total_customers === 0) this.charts.loyalty.empty();
    else
      this.charts.loyalty.draw(
        {
          grid: GRID,
          tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: (v) => this.fmt.count(Number(v)) },
          xAxis: { type: 'value', minInterval: 1, axisLabel: { ...AXIS_LABEL, formatter: (v: number) => this.fmt.count(v) } },
          yAxis: { type: 'category', data: groups.map((g) => g.group).reverse(), axisLabel: AXIS_LABEL },
          series: [
            {
              type: 'bar',
              name: s.customers,
              data: groups.map((g, i) => ({ value: g.customers, itemStyle: { color: PALETTE[i === 0 ? 2 : 1] } })).reverse(),
              label: { show: true, position: 'right', color: '#1f2937', formatter: (p) => this.fmt.count(Number(p.value)) },
            },
          ],
        },
        `${s.loyalty}: ${groups.map((g) => `${g.group} ${this.fmt.count(g.customers)}`).join(', ')}; ${s.repeatRate} ${this.fmt.share(answer.repeat_purchase_rate)}`,
      );

    const tiers = answer.spending_tiers;
    renderTable(
      $<HTMLTableElement>('#table-tiers'),
      s.tiers,
      [
        { label: s.tier, value: (r) => r.segment_depense, format: (r) => label(s, r.segment_depense) },
        { label: s.customerDays, value: (r) => r.client_days, format: (r) => this.fmt.count(r.client_days), numeric: true },
        { label: s.revenue, value: (r) => r.revenue_total, format: (r) => this.money(r.revenue_total), numeric: true },
      ],
      tiers,
    );
    if (!tiers.some((t) => t.client_days > 0)) return this.charts.tiers.empty();
    this.charts.tiers.draw(
      this.donut(
        tiers.map((t) => ({ name: label(s, t.segment_depense), value: t.client_days })),
        (v) => this.fmt.count(v),
      ),
      `${s.tiers}: ${tiers.map((t) => `${label(s, t.segment_depense)} ${this.fmt.count(t.client_days)}`).join(', ')}`,
    );
  }

  private donut(data: { name: string; value: number; selected?: boolean }[], format: (v: number) => string): ChartOption {
    return {
      tooltip: { trigger: 'item', valueFormatter: (v) => format(Number(v)) },
      series: [
        {
          type: 'pie',
          // Room around the ring for the labels, even on a phone.
          radius: ['38%', '62%'],
          selectedMode: 'single',
          data,
          // Name and share on the drawing; the values are in the tooltip and the table.
          label: { formatter: (p) => `${p.name} ${this.fmt.share(Number(p.percent) / 100)}`, color: '#1f2937' },
        },
      ],
    };
  }

  private async loadTopCustomers(signal: AbortSignal): Promise<void> {
    const { offset } = this.state;
    const query: Query = {
      from: this.state.from,
      to: this.state.to,
      pays: this.state.pays,
      segment: this.state.segment,
      ...asOfQuery(this.state),
    };
    // Without `offset` support a page is the tail of a longer list, as far as the API's limit reaches.
    const emulated = offset > 0 && !this.offsetSupported;
    let answer: TopCustomers | undefined;
    if (!emulated)
      answer = await this.get<TopCustomers>('top-customers', { ...query, limit: PAGE_SIZE, offset: offset || undefined }, signal);
    else if (offset < MAX_LIMIT)
      answer = await this.get<TopCustomers>('top-customers', { ...query, limit: Math.min(MAX_LIMIT, offset + PAGE_SIZE) }, signal);
    if (answer) {
      this.offsetSupported = answer.page !== undefined;
      this.noteCurrency(answer);
    }
    const rows = answer ? (emulated ? answer.customers.slice(offset, offset + PAGE_SIZE) : answer.customers) : [];
    const total = answer?.page?.total;
    const s = this.strings;
    const table = $<HTMLTableElement>('#table-top');
    renderTable(
      table,
      s.topCustomers,
      [
        { label: s.rank, value: (r) => offset + rows.indexOf(r) + 1, numeric: true },
        { label: s.name, value: (r) => r.client_nom, href: (r) => formatState({ ...this.state, client: r.client_id }) },
        { label: s.country, value: (r) => r.pays },
        { label: s.segment, value: (r) => r.segment, format: (r) => label(s, r.segment) },
        { label: s.spend, value: (r) => r.total_depense, format: (r) => this.money(r.total_depense), numeric: true },
        { label: s.purchases, value: (r) => r.nb_achats, format: (r) => this.fmt.count(r.nb_achats), numeric: true },
        { label: s.units, value: (r) => r.total_quantite, format: (r) => this.fmt.count(r.total_quantite), numeric: true },
      ],
      rows,
    );
    const reachable = this.offsetSupported ? Infinity : MAX_LIMIT;
    const hasNext = total !== undefined ? offset + rows.length < total : rows.length === PAGE_SIZE && offset + PAGE_SIZE < reachable;
    $<HTMLButtonElement>('#page-prev').disabled = offset === 0;
    $<HTMLButtonElement>('#page-next').disabled = !hasNext;
    const info = $('#page-info');
    if (!rows.length) info.textContent = s.noData;
    else {
      const values = {
        first: this.fmt.count(offset + 1),
        last: this.fmt.count(offset + rows.length),
        total: total === undefined ? '' : this.fmt.count(total),
      };
      info.textContent = fill(total === undefined ? s.pageOf : s.pageOfTotal, values);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Customer page
  // ------------------------------------------------------------------------------------------

  private async loadCustomer(clientId: number, signal: AbortSignal): Promise<void> {
    const s = this.strings;
    $('#customer-title').textContent = `${s.customer} ${clientId}`;
    $('#customer-meta').textContent = '';
    $('#customer-totals').replaceChildren();
    $<HTMLTableElement>('#table-history').replaceChildren();
    const c = await this.get<Customer>(`customers/${clientId}`, asOfQuery(this.state), signal);
    this.noteCurrency(c);
    $('#customer-title').textContent = c.client_nom;
    $('#customer-meta').textContent = `#${c.client_id} · ${c.pays} · ${label(s, c.segment)}`;
    const t = c.totals;
    const totals: [string, string, number | string][] = [
      [s.spend, this.money(t.total_depense), t.total_depense],
      [s.purchases, this.fmt.count(t.nb_achats), t.nb_achats],
      [s.basket, this.money(t.panier_moyen), t.panier_moyen],
      [s.daysActive, this.fmt.count(t.days_active), t.days_active],
      [s.minMax, `${this.money(t.achat_min)} / ${this.money(t.achat_max)}`, `${t.achat_min}/${t.achat_max}`],
      [`${s.firstDay} – ${s.lastDay}`, `${this.fmt.day(t.first_day)} – ${this.fmt.day(t.last_day)}`, `${t.first_day}/${t.last_day}`],
    ];
    $('#customer-totals').replaceChildren(
      ...totals.map(([name, text, value]) => {
        const div = document.createElement('div');
        const dt = document.createElement('dt');
        const dd = document.createElement('dd');
        dt.textContent = name;
        dd.textContent = text;
        dd.dataset.value = String(value);
        div.append(dt, dd);
        return div;
      }),
    );
    const rows = c.history;
    renderTable(
      $<HTMLTableElement>('#table-history'),
      s.dailyHistory,
      [
        { label: s.date, value: (r) => r.jour, format: (r) => this.fmt.day(r.jour) },
        { label: s.spend, value: (r) => r.total_depense, format: (r) => this.money(r.total_depense), numeric: true },
        { label: s.purchases, value: (r) => r.nb_achats, format: (r) => this.fmt.count(r.nb_achats), numeric: true },
        { label: s.units, value: (r) => r.total_quantite, format: (r) => this.fmt.count(r.total_quantite), numeric: true },
        { label: s.basket, value: (r) => r.panier_moyen, format: (r) => this.money(r.panier_moyen), numeric: true },
        {
          label: s.distinctProducts,
          value: (r) => r.nb_produits_distincts,
          format: (r) => this.fmt.count(r.nb_produits_distincts),
          numeric: true,
        },
        { label: s.tier, value: (r) => r.segment_depense, format: (r) => label(s, r.segment_depense) },
        { label: s.loyalDay, value: (r) => r.est_client_fidele, format: (r) => (r.est_client_fidele ? s.yes : s.no) },
      ],
      rows,
    );
    if (!rows.length) return this.charts.history.empty();
    this.charts.history.draw(
      {
        grid: GRID,
        tooltip: { trigger: 'axis', valueFormatter: (v) => this.money(Number(v)) },
        xAxis: { type: 'category', data: rows.map((r) => this.fmt.period(r.jour, 'day', true)), axisLabel: AXIS_LABEL },
        yAxis: { type: 'value', axisLabel: { ...AXIS_LABEL, formatter: (v: number) => this.fmt.moneyShort(v, this.currency) } },
        series: [{ type: 'bar', name: s.spend, data: rows.map((r) => r.total_depense) }],
      },
      `${s.dailyHistory}, ${c.client_nom}: ${rows.length} × ${s.day.toLowerCase()}, ${s.spend} ${this.money(t.total_depense)}`,
    );
  }

  // ------------------------------------------------------------------------------------------
  // API key
  // ------------------------------------------------------------------------------------------

  /** Asks for a key (after a 401/403, or from the header button); `refused` says the current one did not work. */
  private promptKey(refused: boolean): void {
    if (this.keyPromptOpen) return;
    this.keyPromptOpen = true;
    const dialog = $<HTMLDialogElement>('#key-dialog');
    $('#key-message').textContent = refused ? this.strings.apiKeyRefused : this.strings.apiKeyPrompt;
    const input = dialog.querySelector<HTMLInputElement>('input[name=key]') as HTMLInputElement;
    input.value = '';
    dialog.returnValue = '';
    dialog.showModal();
    input.focus();
  }

  private keyDialogClosed(): void {
    this.keyPromptOpen = false;
    const dialog = $<HTMLDialogElement>('#key-dialog');
    if (dialog.returnValue !== 'save') return;
    const key = dialog.querySelector<HTMLInputElement>('input[name=key]')?.value.trim();
    if (!key) return;
    this.api.key = key;
    void this.load();
  }
}

new Dashboard().start();
