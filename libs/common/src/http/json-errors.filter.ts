import { STATUS_CODES } from 'node:http';
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Inject, Injectable, Logger, Optional } from '@nestjs/common';

/** An error of a library mapped to an HTTP answer, with headers to add (Retry-After…). */
export interface MappedError {
  exception: HttpException;
  headers?: Record<string, string>;
  /** Logged with the request id (e.g. a library error the client is not shown). */
  cause?: Error;
}

/** Provided by an app to map its libraries' errors (typed, Nest-free) to HTTP answers. */
export const HTTP_ERROR_MAPPER = Symbol('HTTP_ERROR_MAPPER');
export type HttpErrorMapper = (e: unknown) => MappedError | undefined;

/**
 * A refusal of the request by Fastify or one of its plugins (rate limit, a URL too long, a bad
 * header…): it carries a 4xx statusCode, and its message is about the request.
 */
function clientError(e: unknown): MappedError | undefined {
  const status = (e as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status !== 'number' || status < 400 || status > 499) return undefined;
  const message = String((e as { message?: unknown }).message ?? STATUS_CODES[status]);
  return { exception: new HttpException({ statusCode: status, error: STATUS_CODES[status] ?? 'Client Error', message }, status) };
}

interface Reply {
  status(code: number): Reply;
  header(k: string, v: string): Reply;
  send(body: string): unknown;
}

/**
 * Every error as a JSON body `{statusCode, error, message}` with the JSON content type (Nest's
 * shape; health keeps its own body). Errors neither HTTP nor mapped are 500s whose body says only
 * that the server failed, with the request id to quote: their text (SQL, paths) is for the log.
 */
@Catch()
@Injectable()
export class JsonErrorsFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  constructor(@Optional() @Inject(HTTP_ERROR_MAPPER) private readonly mapper?: HttpErrorMapper) {}

  catch(e: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<Reply>();
    const request = http.getRequest<{ id?: string; method?: string; url?: string }>();
    const mapped: MappedError | undefined = e instanceof HttpException ? { exception: e } : (this.mapper?.(e) ?? clientError(e));
    let status: number;
    let body: object;
    if (mapped) {
      status = mapped.exception.getStatus();
      const response = mapped.exception.getResponse();
      body = typeof response === 'object' ? response : { statusCode: status, error: mapped.exception.name, message: response };
      for (const [k, v] of Object.entries(mapped.headers ?? {})) reply.header(k, v);
      if (mapped.cause) this.logger.warn({ request_id: request.id, message: mapped.cause.message, status });
    } else {
      status = HttpStatus.INTERNAL_SERVER_ERROR;
      body = { statusCode: status, error: 'Internal Server Error', message: `the server failed to answer; quote request id ${request.id ?? 'unknown'} to its operators` };
      this.logger.error({ request_id: request.id, method: request.method, url: request.url, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    }
    reply.status(status).header('Content-Type', 'application/json; charset=utf-8').send(JSON.stringify(body));
  }
}
