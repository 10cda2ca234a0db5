/**
 * Numbers and dates for people, in the page's locale: money with its currency, counts with
 * thousands separators, days as the locale writes them. `jour` and periods are UTC days.
 */
export class Formats {
  private readonly integer: Intl.NumberFormat;
  private readonly percent: Intl.NumberFormat;
  private readonly moneyFormats = new Map<string, { full: Intl.NumberFormat; compact: Intl.NumberFormat }>();
  private readonly dayFormat: Intl.DateTimeFormat;
  private readonly shortDayFormat: Intl.DateTimeFormat;
  private readonly monthFormat: Intl.DateTimeFormat;
  private readonly instantFormat: Intl.DateTimeFormat;
  private readonly timeFormat: Intl.DateTimeFormat;
  private readonly relative: Intl.RelativeTimeFormat;

  constructor(readonly locale: string) {
    this.integer = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
    this.percent = new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 });
    this.dayFormat = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' });
    this.shortDayFormat = new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short', timeZone: 'UTC' });
    this.monthFormat = new Intl.DateTimeFormat(locale, { month: 'short', year: 'numeric', timeZone: 'UTC' });
    this.instantFormat = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'medium' });
    this.timeFormat = new Intl.DateTimeFormat(locale, { timeStyle: 'medium' });
    this.relative = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  }

  money(value: number, currency = 'EUR'): string {
    return this.moneyFormat(currency).full.format(value);
  }

  /** Short money for chart axes: 12 k€, 1,2 M€. */
  moneyShort(value: number, currency = 'EUR'): string {
    return this.moneyFormat(currency).compact.format(value);
  }

  count(value: number): string {
    return this.integer.format(value);
  }

  share(ratio: number): string {
    return this.percent.format(ratio);
  }

  /** A YYYY-MM-DD day. */
  day(day: string): string {
    return this.dayFormat.format(new Date(`${day}T00:00:00Z`));
  }

  /** A trend period, named by its first day; `short` (chart axes) leaves the year out of days. */
  period(day: string, granularity: 'day' | 'week' | 'month', short = false): string {
    const date = new Date(`${day}T00:00:00Z`);
    if (granularity === 'month') return this.monthFormat.format(date);
    return short ? this.shortDayFormat.format(date) : this.dayFormat.format(date);
  }

  instant(iso: string): string {
    return this.instantFormat.format(new Date(iso));
  }

  time(date: Date): string {
    return this.timeFormat.format(date);
  }

  /** "3 minutes ago", "yesterday"… */
  ago(iso: string, now = Date.now()): string {
    const seconds = Math.round((Date.parse(iso) - now) / 1000);
    const units: [Intl.RelativeTimeFormatUnit, number][] = [
      ['day', 86400],
      ['hour', 3600],
      ['minute', 60],
    ];
    for (const [unit, size] of units) if (Math.abs(seconds) >= size) return this.relative.format(Math.round(seconds / size), unit);
    return this.relative.format(seconds, 'second');
  }

  private moneyFormat(currency: string): { full: Intl.NumberFormat; compact: Intl.NumberFormat } {
    let formats = this.moneyFormats.get(currency);
    if (!formats) {
      formats = {
        full: new Intl.NumberFormat(this.locale, { style: 'currency', currency }),
        compact: new Intl.NumberFormat(this.locale, { style: 'currency', currency, notation: 'compact', maximumFractionDigits: 1 }),
      };
      this.moneyFormats.set(currency, formats);
    }
    return formats;
  }
}
