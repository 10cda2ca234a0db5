import { ArgumentsHost, Catch, ExceptionFilter, HttpStatus } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ClientNotFoundError, InvalidTimeTravelError, TableUnavailableError } from '@app/analytics';

/** Seconds a client is told to wait when a silver table does not exist yet. */
const RETRY_AFTER_SECONDS = 60;

/** The analytics library's errors as HTTP answers, in Nest's error body shape (through the HTTP adapter, whichever it is). */
@Catch(TableUnavailableError, InvalidTimeTravelError, ClientNotFoundError)
export class AnalyticsErrorsFilter implements ExceptionFilter {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(e: TableUnavailableError | InvalidTimeTravelError | ClientNotFoundError, host: ArgumentsHost): void {
    const http = this.adapterHost.httpAdapter;
    const res: unknown = host.switchToHttp().getResponse();
    if (e instanceof TableUnavailableError) {
      http.setHeader(res, 'Retry-After', String(RETRY_AFTER_SECONDS));
      http.reply(res, { statusCode: HttpStatus.SERVICE_UNAVAILABLE, message: e.message, error: 'Service Unavailable' }, HttpStatus.SERVICE_UNAVAILABLE);
    } else if (e instanceof InvalidTimeTravelError) {
      http.reply(res, { statusCode: HttpStatus.BAD_REQUEST, message: [e.message], error: 'Bad Request' }, HttpStatus.BAD_REQUEST);
    } else {
      http.reply(res, { statusCode: HttpStatus.NOT_FOUND, message: e.message, error: 'Not Found' }, HttpStatus.NOT_FOUND);
    }
  }
}
