import { BadRequestException, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { ClientNotFoundError, InvalidTimeTravelError, QueryTooLargeError, TableUnavailableError } from '@app/analytics';
import { MappedError } from '@app/common';

/** Seconds a client is told to wait when a silver table does not exist yet. */
const RETRY_AFTER_SECONDS = 60;

/** The analytics library's errors as HTTP answers (JsonErrorsFilter sends them). */
export function mapAnalyticsError(e: unknown): MappedError | undefined {
  if (e instanceof TableUnavailableError) return { exception: new ServiceUnavailableException(e.message), headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) } };
  if (e instanceof InvalidTimeTravelError) return { exception: new BadRequestException([e.message]), cause: e.cause };
  if (e instanceof QueryTooLargeError) return { exception: new BadRequestException([e.message]) };
  if (e instanceof ClientNotFoundError) return { exception: new NotFoundException(e.message) };
  return undefined;
}
