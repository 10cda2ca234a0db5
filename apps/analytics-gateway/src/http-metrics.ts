import { Injectable } from '@nestjs/common';
// fastify is @nestjs/platform-fastify's dependency: only its types are used here.
import type { FastifyInstance } from 'fastify';
import { Counter, Histogram } from 'prom-client';
import { MetricsRegistry } from '@app/common';

type Label = 'method' | 'route' | 'status';

/**
 * Request count and latency per route, measured by a Fastify onResponse hook (so errors mapped
 * by filters and serialization are included; latency is Fastify's, from arrival to the end of
 * the response). The label is the route pattern, never the raw URL, so ids and unknown paths do
 * not grow the label set. The labelled children are looked up once per (method, route, status)
 * and kept, so a request costs a map lookup, an increment and an observation.
 */
@Injectable()
export class HttpMetrics {
  private readonly requests: Counter<Label>;
  private readonly duration: Histogram<Label>;
  private readonly children = new Map<string, { requests: { inc(): void }; duration: { observe(v: number): void } }>();

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

  /** Adds the hook; call before the Fastify instance is ready (before app.init()/listen()). */
  register(fastify: FastifyInstance): void {
    fastify.addHook('onResponse', (request, reply, done) => {
      // routeOptions.url is the pattern of the matched route; undefined for Fastify's 404 handler.
      this.record(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
      done();
    });
  }

  record(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${status} ${route}`;
    let child = this.children.get(key);
    if (!child) {
      const labels = { method, route, status: String(status) };
      child = { requests: this.requests.labels(labels), duration: this.duration.labels(labels) };
      this.children.set(key, child);
    }
    child.requests.inc();
    child.duration.observe(seconds);
  }
}
