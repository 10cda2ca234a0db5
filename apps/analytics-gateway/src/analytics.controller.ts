import { applyDecorators, Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { AnalyticsService, AsOf } from '@app/analytics';
import { RequireRole, Role } from '@app/common';
import { AnswerFastPath } from './answer-fast-path';
import { AnswerReply, AnswerRequest } from './json-answer';
import {
  AsOfQueryDto,
  ClientParamsDto,
  CustomerQueryDto,
  DateRangeQueryDto,
  PagedDateRangeQueryDto,
  PagedQueryDto,
  RevenueTrendsQueryDto,
  TopCustomersQueryDto,
} from './dto/query.dto';
import {
  CustomerResponseDto,
  ErrorResponseDto,
  FreshnessResponseDto,
  NotFoundResponseDto,
  ServiceUnavailableResponseDto,
  LoyaltyResponseDto,
  RevenueByCountryResponseDto,
  RevenueTrendsResponseDto,
  SegmentsResponseDto,
  TopCustomersResponseDto,
} from './dto/response.dto';

/** The role every analytics route needs. */
const ROLE: Role = 'analyst';

type Request = AnswerRequest & { method: string; url: string };

function asOf(q: AsOfQueryDto): AsOf {
  return { version: q.asOfVersion, timestamp: q.asOfTimestamp };
}

function ApiAnalyticsErrors(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiBadRequestResponse({ type: ErrorResponseDto, description: 'A parameter is invalid (the message names it), or asOfVersion/asOfTimestamp names no readable version' }),
    ApiServiceUnavailableResponse({ type: ServiceUnavailableResponseDto, description: 'The silver table has not been computed yet (Retry-After says when to try again)' }),
  );
}

/**
 * Every answer is JSON text made once per cached answer, sent with its ETag (answerBody); the
 * documented types are those of the parsed JSON. Each handler gives AnswerFastPath its call with
 * the validated parameters, which answers the same URL again without Nest's pipeline.
 */
@ApiTags('analytics')
@ApiAnalyticsErrors()
@RequireRole(ROLE)
@Controller('analytics')
export class AnalyticsController {
  constructor(
    private readonly analytics: AnalyticsService,
    private readonly answers: AnswerFastPath,
  ) {}

  @Get('top-customers')
  @ApiOperation({ summary: 'Clients by total spend', description: 'Aggregated from ventes_aggreges over the days in [from, to], optionally only one country or segment.' })
  @ApiOkResponse({ type: TopCustomersResponseDto })
  async topCustomers(@Query() q: TopCustomersQueryDto, @Req() req: Request, @Res({ passthrough: true }) reply: AnswerReply): Promise<string | Buffer> {
    return this.answers.answer(req, reply, ROLE, q.asOfVersion, () => this.analytics.topCustomers({ limit: q.limit, offset: q.offset, from: q.from, to: q.to, pays: q.pays, segment: q.segment }, asOf(q)));
  }

  @Get('revenue-by-country')
  @ApiOperation({
    summary: 'Revenue per country',
    description: 'With from and/or to: aggregated from ventes_aggreges over those days. Without: the all-time ventes_par_pays table.',
  })
  @ApiOkResponse({ type: RevenueByCountryResponseDto })
  async revenueByCountry(@Query() q: PagedDateRangeQueryDto, @Req() req: Request, @Res({ passthrough: true }) reply: AnswerReply): Promise<string | Buffer> {
    return this.answers.answer(req, reply, ROLE, q.asOfVersion, () => this.analytics.revenueByCountry({ from: q.from, to: q.to, limit: q.limit, offset: q.offset }, asOf(q)));
  }

  @Get('segments')
  @ApiOperation({ summary: 'Revenue per customer segment', description: 'The ventes_par_segment table.' })
  @ApiOkResponse({ type: SegmentsResponseDto })
  async segments(@Query() q: PagedQueryDto, @Req() req: Request, @Res({ passthrough: true }) reply: AnswerReply): Promise<string | Buffer> {
    return this.answers.answer(req, reply, ROLE, q.asOfVersion, () => this.analytics.segmentRevenue({ limit: q.limit, offset: q.offset }, asOf(q)));
  }

  @Get('revenue-trends')
  @ApiOperation({ summary: 'Revenue per day, week or month', description: 'From ventes_aggreges; periods are named by their first day.' })
  @ApiOkResponse({ type: RevenueTrendsResponseDto })
  async revenueTrends(@Query() q: RevenueTrendsQueryDto, @Req() req: Request, @Res({ passthrough: true }) reply: AnswerReply): Promise<string | Buffer> {
    return this.answers.answer(req, reply, ROLE, q.asOfVersion, () => this.analytics.revenueTrends({ granularity: q.granularity, from: q.from, to: q.to, limit: q.limit, offset: q.offset }, asOf(q)));
  }

  @Get('loyalty')
  @ApiOperation({
    summary: 'Loyal vs occasional clients',
    description:
      'Over the days in [from, to] (all days by default): a client is loyal when they made at least 2 purchases in total (sum of nb_achats), occasional otherwise. ' +
      'repeat_purchase_rate = loyal / all clients. spending_tiers counts client-days per segment_depense.',
  })
  @ApiOkResponse({ type: LoyaltyResponseDto })
  async loyalty(@Query() q: DateRangeQueryDto, @Req() req: Request, @Res({ passthrough: true }) reply: AnswerReply): Promise<string | Buffer> {
    return this.answers.answer(req, reply, ROLE, q.asOfVersion, () => this.analytics.loyalty({ from: q.from, to: q.to }, asOf(q)));
  }

  @Get('customers/:clientId')
  @ApiOperation({ summary: 'One client: totals and per-day history', description: 'From ventes_aggreges.' })
  @ApiOkResponse({ type: CustomerResponseDto })
  @ApiNotFoundResponse({ type: NotFoundResponseDto, description: 'No row for this client in the table version read' })
  async customer(@Param() p: ClientParamsDto, @Query() q: CustomerQueryDto, @Req() req: Request, @Res({ passthrough: true }) reply: AnswerReply): Promise<string | Buffer> {
    return this.answers.answer(req, reply, ROLE, q.asOfVersion, () => this.analytics.customer(p.clientId, { limit: q.limit, offset: q.offset }, asOf(q)));
  }

  @Get('freshness')
  @ApiOperation({
    summary: 'How fresh the data is',
    description:
      'Versions, commit times and row counts of the silver tables (as of asOfVersion/asOfTimestamp when given; tables not computed yet are reported with available=false) ' +
      'and of bronze (latest), with its newest event time. last_silver_refresh is the newest silver commit time.',
  })
  @ApiOkResponse({ type: FreshnessResponseDto })
  async freshness(@Query() q: AsOfQueryDto, @Req() req: Request, @Res({ passthrough: true }) reply: AnswerReply): Promise<string | Buffer> {
    return this.answers.answer(req, reply, ROLE, q.asOfVersion, () => this.analytics.freshness(asOf(q)));
  }
}
