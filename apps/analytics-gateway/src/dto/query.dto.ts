import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { Granularity, GRANULARITIES } from '@app/analytics';
import { SEGMENTS } from '@app/schemas';
import { ExcludesProperty, IsCalendarDate, IsInstant, NotAfterProperty, toInteger } from './validators';

/*
 * class-validator checks a property's constraints from the decorator nearest to it upwards, and
 * the pipe stops at the first failure: the type check sits nearest, so "ten" is reported as not
 * an integer rather than as out of range. applyDecorators applies its list first to last, so a
 * list holds them nearest first.
 */

/** Time travel, taken by every endpoint. */
export class AsOfQueryDto {
  @ApiPropertyOptional({
    description:
      'Read the silver table the endpoint queries (named in the answer\'s source.table) as of this Delta version of it (time travel). ' +
      'Excludes asOfTimestamp: give at most one of the two.',
    type: 'integer',
    minimum: 0,
  })
  @IsOptional()
  @Min(0)
  @IsInt()
  @Transform(toInteger)
  asOfVersion?: number;

  @ApiPropertyOptional({
    description:
      'Read the silver table(s) as of the newest version committed at or before this instant, e.g. 2024-12-12T18:00:00Z: ISO-8601 (UTC when no offset) or YYYY-MM-DD (its midnight UTC). ' +
      'Excludes asOfVersion: give at most one of the two.',
    type: 'string',
    maxLength: 64,
  })
  @IsOptional()
  @ExcludesProperty('asOfVersion')
  @IsInstant()
  @MaxLength(64)
  @IsString()
  asOfTimestamp?: string;
}

/** Inclusive bounds on the sales day `jour`. */
export class DateRangeQueryDto extends AsOfQueryDto {
  @ApiPropertyOptional({ description: 'First day included, e.g. 2024-12-01 (YYYY-MM-DD, on `jour`); must not be after `to`', format: 'date' })
  @IsOptional()
  @NotAfterProperty('to')
  @IsCalendarDate()
  from?: string;

  @ApiPropertyOptional({ description: 'Last day included, e.g. 2024-12-31 (YYYY-MM-DD, on `jour`)', format: 'date' })
  @IsOptional()
  @IsCalendarDate()
  to?: string;
}

/** Lists beyond this offset are refused: a deep page costs a scan of everything before it. */
export const MAX_OFFSET = 100_000;

function PageOffset(): PropertyDecorator {
  return applyDecorators(
    // In the order the same decorators stacked on a property would be applied (nearest first).
    Transform(toInteger),
    IsInt(),
    Min(0),
    Max(MAX_OFFSET),
    IsOptional(),
    ApiPropertyOptional({ description: 'Items skipped before the first one returned, in the list\'s order (the answer\'s page.total says how many there are)', type: 'integer', minimum: 0, maximum: MAX_OFFSET, default: 0 }),
  );
}

function PageLimit(max: number, byDefault: number, what: string): PropertyDecorator {
  return applyDecorators(
    Transform(toInteger),
    IsInt(),
    Min(1),
    Max(max),
    IsOptional(),
    ApiPropertyOptional({ description: `Number of ${what} returned at most`, type: 'integer', minimum: 1, maximum: max, default: byDefault }),
  );
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the constructor type TypeScript requires of a mixin's base
type ParamsClass = new (...args: any[]) => object;

/**
 * Base's parameters and a window of a list: at most `max` items (`byDefault` when not given),
 * `what` naming them in the description, from the `offset`-th.
 */
function WithPage<Base extends ParamsClass>(base: Base, max: number, byDefault: number, what: string) {
  class Paged extends base {
    @PageLimit(max, byDefault, what)
    limit: number = byDefault;

    @PageOffset()
    offset: number = 0;
  }
  return Paged;
}

/** Time travel and a window of a list. */
export class PagedQueryDto extends WithPage(AsOfQueryDto, 1000, 100, 'items') {}

export class PagedDateRangeQueryDto extends WithPage(DateRangeQueryDto, 1000, 100, 'items') {}

export class CustomerQueryDto extends WithPage(AsOfQueryDto, 1000, 100, 'days of history') {}

export class TopCustomersQueryDto extends WithPage(DateRangeQueryDto, 100, 10, 'clients') {
  @ApiPropertyOptional({ description: 'Only purchases of clients of this country, e.g. France (in any case: france, FRANCE)', minLength: 1, maxLength: 100 })
  @IsOptional()
  @MaxLength(100)
  @IsNotEmpty()
  @IsString()
  pays?: string;

  @ApiPropertyOptional({ description: 'Only purchases of clients of this segment', enum: SEGMENTS })
  @IsOptional()
  @IsIn(SEGMENTS)
  segment?: string;
}

export class RevenueTrendsQueryDto extends PagedDateRangeQueryDto {
  @ApiPropertyOptional({ description: 'Period length; weeks start on Monday (ISO 8601)', enum: GRANULARITIES, default: 'day' })
  @IsOptional()
  @IsIn(GRANULARITIES)
  granularity: Granularity = 'day';
}

export class ClientParamsDto {
  @ApiProperty({ description: 'The client id (client_id)', type: 'integer', minimum: 1, example: 42 })
  @Max(2147483647)
  @Min(1)
  @IsInt()
  @Transform(toInteger)
  clientId: number;
}
