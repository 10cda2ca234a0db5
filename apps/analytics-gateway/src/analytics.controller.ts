import { applyDecorators, Controller, Param, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { AnalyticsService, AsOf } from '@app/analytics';
import { JsonGet, jsonText } from './json-answer';
import { AsOfQueryDto, ClientParamsDto, DateRangeQueryDto, RevenueTrendsQueryDto, TopCustomersQueryDto } from './dto/query.dto';
import {
  CustomerResponseDto,
  ErrorResponseDto,
  FreshnessResponseDto,
  LoyaltyResponseDto,
  RevenueByCountryResponseDto,
  RevenueTrendsResponseDto,
  SegmentsResponseDto,
  TopCustomersResponseDto,
} from './dto/response.dto';

function asOf(q: AsOfQueryDto): AsOf {
  return { version: q.asOfVersion, timestamp: q.asOfTimestamp };
}

function ApiAnalyticsErrors(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiBadRequestResponse({ type: ErrorResponseDto, description: 'A parameter is invalid (the message names it), or asOfVersion/asOfTimestamp names no readable version' }),
    ApiServiceUnavailableResponse({ type: ErrorResponseDto, description: 'The silver table has not been computed yet' }),
  );
}

/** Every answer is JSON text made once per cached answer (json-answer.ts); the documented types are those of the parsed JSON. */
@ApiTags('analytics')
@ApiAnalyticsErrors()
@Controller('analytics')
export class AnalyticsController {
  constructor(private readonly analytics: AnalyticsService) {}

  @JsonGet('top-customers')
  @ApiOperation({ summary: 'Clients by total spend', description: 'Aggregated from ventes_aggreges over the days in [from, to], optionally only one country or segment.' })
  @ApiOkResponse({ type: TopCustomersResponseDto })
  async topCustomers(@Query() q: TopCustomersQueryDto): Promise<string> {
    return jsonText(await this.analytics.topCustomers({ limit: q.limit, from: q.from, to: q.to, pays: q.pays, segment: q.segment }, asOf(q)));
  }

  @JsonGet('revenue-by-country')
  @ApiOperation({
    summary: 'Revenue per country',
    description: 'With from and/or to: aggregated from ventes_aggreges over those days. Without: the all-time ventes_par_pays table.',
  })
  @ApiOkResponse({ type: RevenueByCountryResponseDto })
  async revenueByCountry(@Query() q: DateRangeQueryDto): Promise<string> {
    return jsonText(await this.analytics.revenueByCountry({ from: q.from, to: q.to }, asOf(q)));
  }

  @JsonGet('segments')
  @ApiOperation({ summary: 'Revenue per customer segment', description: 'The ventes_par_segment table.' })
  @ApiOkResponse({ type: SegmentsResponseDto })
  async segments(@Query() q: AsOfQueryDto): Promise<string> {
    return jsonText(await this.analytics.segmentRevenue(asOf(q)));
  }

  @JsonGet('revenue-trends')
  @ApiOperation({ summary: 'Revenue per day, week or month', description: 'From ventes_aggreges; periods are named by their first day.' })
  @ApiOkResponse({ type: RevenueTrendsResponseDto })
  async revenueTrends(@Query() q: RevenueTrendsQueryDto): Promise<string> {
    return jsonText(await this.analytics.revenueTrends({ granularity: q.granularity, from: q.from, to: q.to }, asOf(q)));
  }

  @JsonGet('loyalty')
  @ApiOperation({
    summary: 'Loyal vs occasional clients',
    description:
      'Over the days in [from, to] (all days by default): a client is loyal when they made at least 2 purchases in total (sum of nb_achats), occasional otherwise. ' +
      'repeat_purchase_rate = loyal / all clients. spending_tiers counts client-days per segment_depense.',
  })
  @ApiOkResponse({ type: LoyaltyResponseDto })
  async loyalty(@Query() q: DateRangeQueryDto): Promise<string> {
    return jsonText(await this.analytics.loyalty({ from: q.from, to: q.to }, asOf(q)));
  }

  @JsonGet('customers/:clientId')
  @ApiOperation({ summary: 'One client: totals and per-day history', description: 'From ventes_aggreges.' })
  @ApiOkResponse({ type: CustomerResponseDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto, description: 'No row for this client in the table version read' })
  async customer(@Param() p: ClientParamsDto, @Query() q: AsOfQueryDto): Promise<string> {
    return jsonText(await this.analytics.customer(p.clientId, asOf(q)));
  }

  @JsonGet('freshness')
  @ApiOperation({
    summary: 'How fresh the data is',
    description:
      'Versions, commit times and row counts of the silver tables (as of asOfVersion/asOfTimestamp when given; tables not computed yet are reported with available=false) ' +
      'and of bronze (latest), with its newest event time. last_silver_refresh is the newest silver commit time.',
  })
  @ApiOkResponse({ type: FreshnessResponseDto })
  async freshness(@Query() q: AsOfQueryDto): Promise<string> {
    return jsonText(await this.analytics.freshness(asOf(q)));
  }
}
