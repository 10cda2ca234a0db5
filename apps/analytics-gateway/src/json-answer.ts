import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { map, Observable } from 'rxjs';
import { Answer } from '@app/analytics';

interface Reply {
  header(k: string, v: string): unknown;
}

/**
 * Sends an analytics Answer: its JSON text (made once per cached answer) with the JSON content
 * type, its entity tag (ETag: a 304 answers an If-None-Match that holds it, see configureHttp)
 * and Cache-Control: an answer about a fixed past version never changes; one about the latest
 * may change with the next commit, so a client revalidates it (cheaply, by its tag).
 */
@Injectable()
export class JsonAnswerInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler<Answer<unknown>>): Observable<string> {
    const http = context.switchToHttp();
    const reply = http.getResponse<Reply>();
    const query = http.getRequest<{ query?: Record<string, unknown> }>().query ?? {};
    const pinned = query.asOfVersion !== undefined;
    return next.handle().pipe(
      map((answer) => {
        reply.header('Content-Type', 'application/json; charset=utf-8');
        reply.header('ETag', answer.etag);
        reply.header('Cache-Control', pinned ? 'private, max-age=86400, immutable' : 'private, no-cache');
        return answer.json;
      }),
    );
  }
}
