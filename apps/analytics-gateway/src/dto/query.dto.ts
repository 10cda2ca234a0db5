import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { Granularity, GRANULARITIES } from '@app/analytics';
import { SEGMENTS } from '@app/schemas';
import { ExcludesProperty, IsCalendarDate, IsInstant, NotAfterProperty, toInteger } from './validators';

/*
 * class-validator checks a property's constraints from the decorator nearest to it upwards, and
 * the pipe stops at the first failure: the type check sits nearest, so "ten" is reported as not
 * an integer rather than as out of range.
 */

/** Time travel, taken by every endpoint. */
export class AsOfQueryDto {
  @ApiPropertyOptional({
    description: 'Read the silver table(s) the endpoint queries as of this Delta version (time travel). Excludes asOfTimestamp.',
    type: 'integer',
    minimum: 0,
    example: 3,
  })
  @IsOptional()
  @Min(0)
  @IsInt()
  @Transform(toInteger)
  asOfVersion?: number;

  @ApiPropertyOptional({
    description:
      'Read the silver table(s) as of the newest version committed at or before this instant: ISO-8601 (UTC when no offset) or YYYY-MM-DD (its midnight UTC). Excludes asOfVersion.',
    example: '2024-12-12T18:00:00Z',
  })
  @IsOptional()
  @ExcludesProperty('asOfVersion')
  @IsInstant()
  asOfTimestamp?: string;
}

/** Inclusive bounds on the sales day `jour`. */
export class DateRangeQueryDto extends AsOfQueryDto {
  @ApiPropertyOptional({ description: 'First day included (YYYY-MM-DD, on `jour`); must not be after `to`', format: 'date', example: '2024-12-01' })
  @IsOptional()
  @NotAfterProperty('to')
  @IsCalendarDate()
  from?: string;

  @ApiPropertyOptional({ description: 'Last day included (YYYY-MM-DD, on `jour`)', format: 'date', example: '2024-12-31' })
  @IsOptional()
  @IsCalendarDate()
  to?: string;
}

export class TopCustomersQueryDto extends DateRangeQueryDto {
  @ApiPropertyOptional({ description: 'Number of clients returned', type: 'integer', minimum: 1, maximum: 100, default: 10, example: 10 })
  @IsOptional()
  @Max(100)
  @Min(1)
  @IsInt()
  @Transform(toInteger)
  limit: number = 10;

  @ApiPropertyOptional({ description: 'Only purchases of clients of this country', example: 'France' })
  @IsOptional()
  @MaxLength(100)
  @IsNotEmpty()
  @IsString()
  pays?: string;

  @ApiPropertyOptional({ description: 'Only purchases of clients of this segment', enum: SEGMENTS, example: 'Particulier' })
  @IsOptional()
  @IsIn(SEGMENTS)
  segment?: string;
}

export class RevenueTrendsQueryDto extends DateRangeQueryDto {
  @ApiPropertyOptional({ description: 'Period length; weeks start on Monday (ISO 8601)', enum: GRANULARITIES, default: 'day', example: 'week' })
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
