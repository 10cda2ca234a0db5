import { Injectable, NestMiddleware } from '@nestjs/common';
import { Counter, Histogram } from 'prom-client';
import { MetricsRegistry } from '@app/common';

/** The parts of Express's request and response used here (@types/express is not a dependency). */
interface HttpRequest {
  method: string;
  baseUrl: string;
  route?: { path?: string };
}
interface HttpResponse {
  statusCode: number;
  once(event: 'finish', listener: () => void): unknown;
}

/**
 * Request count and latency per route, measured until the response is finished (so errors
 * mapped by filters and serialization are included). The label is the route pattern, never the
 * raw URL, so ids and unknown paths do not grow the label set.
 */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly duration: Histogram<'method' | 'route' | 'status'>;

  constructor(metrics: MetricsRegistry) {
    const labelNames = ['method', 'route', 'status'] as const;
    this.requests = new Counter({ name: 'http_requests_total', help: 'HTTP requests answered', labelNames, registers: [metrics] });
    this.duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency, from arrival to the end of the response',
      labelNames,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [metrics],
    });
  }

  use(req: HttpRequest, res: HttpResponse, next: () => void): void {
    const start = process.hrtime.bigint();
    res.once('finish', () => {
      const route = req.route?.path;
      const labels = { method: req.method, route: route ? `${req.baseUrl}${route}` : 'unmatched', status: String(res.statusCode) };
      this.requests.inc(labels);
      this.duration.observe(labels, Number(process.hrtime.bigint() - start) / 1e9);
    });
    next();
  }
}
