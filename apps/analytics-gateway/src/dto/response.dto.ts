import { ApiProperty, ApiPropertyOptions } from '@nestjs/swagger';
import {
  BronzeFreshness,
  CountryRevenue,
  CustomerDay,
  CustomerDetail,
  CURRENCY,
  CustomerTotals,
  Freshness,
  LoyaltySummary,
  Page,
  RevenuePeriod,
  SegmentRevenue,
  SpendingTierShare,
  TableFreshness,
  TableSource,
  TopCustomer,
} from '@app/analytics';
import { SEGMENTS, SPENDING_TIERS } from '@app/schemas';

/**
 * OpenAPI descriptions of the answers. Each class implements the analytics library's type, so
 * the documentation cannot drift from what the endpoints return.
 */

export class TableSourceDto implements TableSource {
  @ApiProperty({ description: 'Silver table the answer was computed from', enum: ['ventes_aggreges', 'ventes_par_pays', 'ventes_par_segment'], example: 'ventes_aggreges' })
  table: string;

  @ApiProperty({ description: 'Delta version of that table that was read', example: 12 })
  version: number;
}

export class PageDto implements Page {
  @ApiProperty({ description: 'Items asked for at most', example: 10 })
  limit: number;

  @ApiProperty({ description: 'Items skipped before the first one returned', example: 0 })
  offset: number;

  @ApiProperty({ description: 'Items in the whole list', example: 200 })
  total: number;
}

/** Every answer with amounts of money names their currency. */
const currency = { enum: [CURRENCY], description: 'Currency of every amount of money in the answer', example: CURRENCY } as const;

/** How an answer documents its page or source beyond their type. */
type PartDoc = Pick<ApiPropertyOptions, 'description' | 'example'>;

/**
 * What every list answer carries besides its items: the currency of its amounts, its window, the
 * table version read; `doc` describes the page or source of a particular answer.
 */
function ListAnswerDto(doc: { page?: PartDoc; source?: PartDoc } = {}) {
  class ListAnswer {
    @ApiProperty(currency)
    currency: typeof CURRENCY;

    @ApiProperty({ type: PageDto, ...doc.page })
    page: PageDto;

    @ApiProperty({ type: TableSourceDto, ...doc.source })
    source: TableSourceDto;
  }
  return ListAnswer;
}

export class TopCustomerDto implements TopCustomer {
  @ApiProperty({ example: 42 })
  client_id: number;

  @ApiProperty({ description: 'As of the client’s latest day in the range', example: 'Jean Dupont' })
  client_nom: string;

  @ApiProperty({ example: 'France' })
  pays: string;

  @ApiProperty({ enum: SEGMENTS, example: 'Particulier' })
  segment: string;

  @ApiProperty({ description: 'Sum of purchases (EUR, rounded to cents)', example: 1799.98 })
  total_depense: number;

  @ApiProperty({ description: 'Number of purchases', example: 3 })
  nb_achats: number;

  @ApiProperty({ description: 'Units bought', example: 4 })
  total_quantite: number;
}

export class TopCustomersResponseDto extends ListAnswerDto() {
  @ApiProperty({ type: [TopCustomerDto], description: 'By total_depense descending, then client_id' })
  customers: TopCustomerDto[];
}

export class CountryRevenueDto implements CountryRevenue {
  @ApiProperty({ example: 'France' })
  pays: string;

  @ApiProperty({ description: 'Revenue (EUR, cents)', example: 15234.5 })
  revenue_total: number;

  @ApiProperty({ description: 'Number of sales', example: 42 })
  total_transactions: number;

  @ApiProperty({ description: 'Average sale (EUR, cents)', example: 362.73 })
  transaction_moyenne: number;

  @ApiProperty({ description: 'Units sold', example: 87 })
  items_sold: number;

  @ApiProperty({ description: 'Distinct clients', example: 12 })
  unique_customers: number;
}

export class RevenueByCountryResponseDto extends ListAnswerDto({
  source: { description: 'ventes_aggreges when from/to is given, else ventes_par_pays', example: { table: 'ventes_par_pays', version: 12 } },
}) {
  @ApiProperty({ type: [CountryRevenueDto], description: 'By revenue_total descending' })
  countries: CountryRevenueDto[];
}

export class SegmentRevenueDto implements SegmentRevenue {
  @ApiProperty({ enum: SEGMENTS, example: 'Entreprise' })
  segment: string;

  @ApiProperty({ example: 120 })
  total_transactions: number;

  @ApiProperty({ description: 'EUR, cents', example: 48211.9 })
  revenue_total: number;

  @ApiProperty({ description: 'EUR, cents', example: 401.77 })
  transaction_moyenne: number;

  @ApiProperty({ example: 35 })
  unique_customers: number;

  @ApiProperty({ example: 5 })
  countries_count: number;
}

export class SegmentsResponseDto extends ListAnswerDto({ source: { example: { table: 'ventes_par_segment', version: 12 } } }) {
  @ApiProperty({ type: [SegmentRevenueDto], description: 'ventes_par_segment, by revenue_total descending' })
  segments: SegmentRevenueDto[];
}

export class RevenuePeriodDto implements RevenuePeriod {
  @ApiProperty({ description: 'First day of the period (YYYY-MM-DD); weeks start on Monday', example: '2024-12-09' })
  period: string;

  @ApiProperty({ description: 'EUR, cents', example: 10250.4 })
  revenue_total: number;

  @ApiProperty({ example: 31 })
  total_transactions: number;

  @ApiProperty({ description: 'Distinct clients who bought in the period', example: 18 })
  unique_customers: number;
}

export class RevenueTrendsResponseDto extends ListAnswerDto() {
  @ApiProperty({ enum: ['day', 'week', 'month'], example: 'week' })
  granularity: string;

  @ApiProperty({ type: [RevenuePeriodDto], description: 'Periods with sales, oldest first' })
  periods: RevenuePeriodDto[];
}

export class SpendingTierShareDto implements SpendingTierShare {
  @ApiProperty({ enum: SPENDING_TIERS, example: 'Premium' })
  segment_depense: string;

  @ApiProperty({ description: 'Client-days in the tier (segment_depense is set per client and day)', example: 14 })
  client_days: number;

  @ApiProperty({ description: 'EUR, cents', example: 9120.5 })
  revenue_total: number;
}

export class LoyaltyResponseDto implements LoyaltySummary {
  @ApiProperty(currency)
  currency: typeof CURRENCY;

  @ApiProperty({ type: TableSourceDto })
  source: TableSourceDto;

  @ApiProperty({ description: 'How loyalty is defined', example: 'a client is loyal when their purchases over the period (sum of nb_achats) are at least 2, …' })
  definition: string;

  @ApiProperty({ description: 'Clients with at least one purchase in the period', example: 200 })
  total_customers: number;

  @ApiProperty({ description: 'Clients with 2 purchases or more in the period', example: 150 })
  loyal_customers: number;

  @ApiProperty({ description: 'Clients with a single purchase in the period', example: 50 })
  occasional_customers: number;

  @ApiProperty({ description: 'loyal_customers / total_customers (4 decimals)', example: 0.75 })
  repeat_purchase_rate: number;

  @ApiProperty({ description: 'Spend of loyal clients (EUR, cents)', example: 50213.1 })
  loyal_revenue: number;

  @ApiProperty({ description: 'Spend of occasional clients (EUR, cents)', example: 3120.4 })
  occasional_revenue: number;

  @ApiProperty({ type: [SpendingTierShareDto], description: 'Premium, Standard, Economy, then any other tier found' })
  spending_tiers: SpendingTierShareDto[];
}

export class CustomerTotalsDto implements CustomerTotals {
  @ApiProperty({ description: 'EUR, cents', example: 2399.97 })
  total_depense: number;

  @ApiProperty({ example: 4 })
  nb_achats: number;

  @ApiProperty({ example: 6 })
  total_quantite: number;

  @ApiProperty({ description: 'total_depense / nb_achats (EUR, cents)', example: 599.99 })
  panier_moyen: number;

  @ApiProperty({ description: 'Smallest purchase (EUR, cents)', example: 12.9 })
  achat_min: number;

  @ApiProperty({ description: 'Largest purchase (EUR, cents)', example: 1799.98 })
  achat_max: number;

  @ApiProperty({ description: 'Days with a purchase', example: 3 })
  days_active: number;

  @ApiProperty({ example: '2024-12-10' })
  first_day: string;

  @ApiProperty({ example: '2024-12-12' })
  last_day: string;
}

export class CustomerDayDto implements CustomerDay {
  @ApiProperty({ example: '2024-12-12' })
  jour: string;

  @ApiProperty({ example: 2 })
  total_quantite: number;

  @ApiProperty({ description: 'EUR, cents', example: 1799.98 })
  total_depense: number;

  @ApiProperty({ example: 1 })
  nb_achats: number;

  @ApiProperty({ description: 'EUR, cents', example: 1799.98 })
  panier_moyen: number;

  @ApiProperty({ description: 'EUR, cents', example: 1799.98 })
  achat_min: number;

  @ApiProperty({ description: 'EUR, cents', example: 1799.98 })
  achat_max: number;

  @ApiProperty({ example: 1 })
  nb_produits_distincts: number;

  @ApiProperty({ description: 'nb_achats >= 2 that day', example: false })
  est_client_fidele: boolean;

  @ApiProperty({ enum: SPENDING_TIERS, example: 'Premium' })
  segment_depense: string;
}

export class CustomerResponseDto extends ListAnswerDto({ page: { description: 'The window of history returned (its days, oldest first)' } }) implements CustomerDetail {
  @ApiProperty({ example: 42 })
  client_id: number;

  @ApiProperty({ description: 'As of the client’s latest day', example: 'Jean Dupont' })
  client_nom: string;

  @ApiProperty({ example: 'France' })
  pays: string;

  @ApiProperty({ enum: SEGMENTS, example: 'Particulier' })
  segment: string;

  @ApiProperty({ type: CustomerTotalsDto })
  totals: CustomerTotalsDto;

  @ApiProperty({ type: [CustomerDayDto], description: 'One entry per day with purchases, oldest first' })
  history: CustomerDayDto[];
}

export class TableFreshnessDto implements TableFreshness {
  @ApiProperty({ example: 'ventes_aggreges' })
  table: string;

  @ApiProperty({ enum: ['bronze', 'silver'], example: 'silver' })
  layer: 'bronze' | 'silver';

  @ApiProperty({ description: 'False while the table has not been written yet (the other fields are then null)', example: true })
  available: boolean;

  @ApiProperty({ type: 'integer', nullable: true, example: 12 })
  version: number | null;

  @ApiProperty({ type: 'string', nullable: true, description: 'Commit time of that version (ISO-8601)', example: '2024-12-12T18:00:03.120Z' })
  last_commit_at: string | null;

  @ApiProperty({ type: 'integer', nullable: true, description: 'Rows, from the file statistics (numRecords)', example: 18000 })
  num_records: number | null;
}

export class BronzeFreshnessDto extends TableFreshnessDto implements BronzeFreshness {
  @ApiProperty({ type: 'string', nullable: true, description: 'Newest event timestamp, from file statistics (rounded up to the ms)', example: '2024-12-12T18:02:59.412Z' })
  latest_event_time: string | null;
}

export class FreshnessResponseDto implements Freshness {
  @ApiProperty({ type: 'string', nullable: true, description: 'Newest commit time among the silver tables: the last silver refresh', example: '2024-12-12T18:00:03.120Z' })
  last_silver_refresh: string | null;

  @ApiProperty({ type: [TableFreshnessDto], description: 'ventes_aggreges, ventes_par_pays, ventes_par_segment (as of asOfVersion/asOfTimestamp when given)' })
  silver: TableFreshnessDto[];

  @ApiProperty({ type: BronzeFreshnessDto, description: 'ventes_stream, always its latest version' })
  bronze: BronzeFreshnessDto;
}

export class ErrorResponseDto {
  @ApiProperty({ example: 400 })
  statusCode: number;

  @ApiProperty({ oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }], description: 'What is wrong, naming the parameter', example: ['limit must not be greater than 100'] })
  message: string | string[];

  @ApiProperty({ example: 'Bad Request' })
  error: string;
}

export class NotFoundResponseDto {
  @ApiProperty({ example: 404 })
  statusCode: number;

  @ApiProperty({ example: 'client 999 not found in ventes_aggreges (version 12)' })
  message: string;

  @ApiProperty({ example: 'Not Found' })
  error: string;
}

export class ServiceUnavailableResponseDto {
  @ApiProperty({ example: 503 })
  statusCode: number;

  @ApiProperty({ example: 'the table ventes_aggreges is not available yet (it has not been computed); retry later' })
  message: string;

  @ApiProperty({ example: 'Service Unavailable' })
  error: string;
}
