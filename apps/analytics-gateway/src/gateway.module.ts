import { DynamicModule, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { Counter, Gauge } from 'prom-client';
import { AnalyticsService } from '@app/analytics';
import {
  APP_CONFIG,
  AppConfigModule,
  AuthModule,
  AuthOptions,
  HealthChecks,
  healthResult,
  HealthModule,
  HTTP_ERROR_MAPPER,
  JsonErrorsFilter,
  MetricsModule,
  MetricsRegistry,
} from '@app/common';
import { AnalyticsController } from './analytics.controller';
import { AnswerFastPath } from './answer-fast-path';
import { DashboardModule } from './dashboard/dashboard.module';
import { mapAnalyticsError } from './analytics-errors';
import { GatewayConfig } from './config';
import { HttpMetrics } from './http-metrics';

/** The analytics library for this app: its cache lookups, bytes and table versions as metrics, its silver tables as a health check. */
export function createAnalyticsService(config: GatewayConfig, metrics: MetricsRegistry, health: HealthChecks): AnalyticsService {
  const cacheLookups = new Counter({
    name: 'analytics_cache_lookups_total',
    help: 'Answer-cache lookups per endpoint, by result (hit or miss)',
    labelNames: ['endpoint', 'result'],
    registers: [metrics],
  });
  const answersWarmed = new Counter({
    name: 'analytics_answers_warmed_total',
    help: 'Answers the gateway made again in the background after a new silver version, per endpoint, by result (cached: still valid; computed; failed)',
    labelNames: ['endpoint', 'result'],
    registers: [metrics],
  });
  const warmingLogger = new Logger('answer-warming');
  const analytics = new AnalyticsService({
    lakehouseRoot: config.LAKEHOUSE_ROOT,
    cacheMaxBytes: config.CACHE_MAX_BYTES,
    refreshIntervalMs: config.SNAPSHOT_REFRESH_INTERVAL,
    snapshotMaxBytes: config.SNAPSHOT_CACHE_MAX_BYTES,
    maxScanRows: config.QUERY_MAX_SCAN_ROWS,
    onCacheLookup: (endpoint, hit) => cacheLookups.inc({ endpoint, result: hit ? 'hit' : 'miss' }),
    warmAnswers: config.CACHE_WARM_ANSWERS,
    onAnswerWarmed: (endpoint, result, error) => {
      answersWarmed.inc({ endpoint, result });
      if (!error) return;
      // The request that asks it next computes it again and maps the error as always. An error a
      // client would get as a 4xx (a client forgotten since, a table not computed) is no fault of the gateway's.
      const message = { endpoint, message: `an answer could not be made again after a new version: ${error.name}: ${error.message.split('\n')[0]}` };
      if (mapAnalyticsError(error)) warmingLogger.debug(message);
      else warmingLogger.warn(message);
    },
  });
  new Gauge({
    name: 'analytics_table_version',
    help: 'Latest version of each table the gateway has seen (absent while the table does not exist)',
    labelNames: ['table'],
    registers: [metrics],
    collect() {
      this.reset();
      for (const t of analytics.tables) if (t.knownVersion !== undefined) this.set({ table: t.table }, t.knownVersion);
    },
  });
  new Gauge({
    name: 'analytics_memory_bytes',
    help: 'Bytes held by the answer cache (answers) and, estimated, by the in-memory copies of table versions (tables)',
    labelNames: ['cache'],
    registers: [metrics],
    collect() {
      this.set({ cache: 'answers' }, analytics.cachedAnswerBytes);
      this.set({ cache: 'tables' }, analytics.memory.budget.heldBytes);
    },
  });
  const logger = new Logger('health');
  health.register('silver-tables', async () => {
    // Up when every silver table can be read: it exists and the last look at its log worked.
    const status = await analytics.silverStatus();
    const up = status.every((s) => s.version !== undefined && !s.error);
    for (const s of status) if (s.error) logger.warn({ table: s.table, message: `its log cannot be read: ${s.error.message}` });
    // The reason goes to the log: a client learns only that the log cannot be read.
    return healthResult('silver-tables', up, {
      tables: Object.fromEntries(status.map((s) => [s.table, s.error ? 'log unreadable (see the gateway log)' : (s.version ?? 'not computed yet')])),
    });
  });
  return analytics;
}

@Module({})
export class AnalyticsGatewayModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(private readonly analytics: AnalyticsService) {}

  onApplicationBootstrap(): void {
    this.analytics.startPolling();
  }

  onApplicationShutdown(): void {
    this.analytics.close();
  }

  static forRoot(config: GatewayConfig, auth: AuthOptions): DynamicModule {
    return {
      module: AnalyticsGatewayModule,
      imports: [AppConfigModule.forRoot(config), AuthModule.forRoot(auth), MetricsModule, HealthModule, DashboardModule.register()],
      controllers: [AnalyticsController],
      providers: [
        { provide: AnalyticsService, inject: [APP_CONFIG, MetricsRegistry, HealthChecks], useFactory: createAnalyticsService },
        { provide: HTTP_ERROR_MAPPER, useValue: mapAnalyticsError },
        { provide: APP_FILTER, useClass: JsonErrorsFilter },
        // Their Fastify hooks are added by configureGateway() (setup.ts).
        HttpMetrics,
        AnswerFastPath,
      ],
    };
  }
}
