import { ArgumentsHost, Catch, ExceptionFilter, HttpStatus } from '@nestjs/common';
import { ClientNotFoundError, InvalidTimeTravelError, TableUnavailableError } from '@app/analytics';

/** Seconds a client is told to wait when a silver table does not exist yet. */
const RETRY_AFTER_SECONDS = 60;

/** The part of Express's response used here (@types/express is not a dependency). */
interface HttpResponse {
  setHeader(name: string, value: string): void;
  status(code: number): { json(body: unknown): void };
}

/** The analytics library's errors as HTTP answers, in Nest's error body shape. */
@Catch(TableUnavailableError, InvalidTimeTravelError, ClientNotFoundError)
export class AnalyticsErrorsFilter implements ExceptionFilter {
  catch(e: TableUnavailableError | InvalidTimeTravelError | ClientNotFoundError, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<HttpResponse>();
    if (e instanceof TableUnavailableError) {
      res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
      res.status(HttpStatus.SERVICE_UNAVAILABLE).json({ statusCode: HttpStatus.SERVICE_UNAVAILABLE, message: e.message, error: 'Service Unavailable' });
    } else if (e instanceof InvalidTimeTravelError) {
      res.status(HttpStatus.BAD_REQUEST).json({ statusCode: HttpStatus.BAD_REQUEST, message: [e.message], error: 'Bad Request' });
    } else {
      res.status(HttpStatus.NOT_FOUND).json({ statusCode: HttpStatus.NOT_FOUND, message: e.message, error: 'Not Found' });
    }
  }
}
