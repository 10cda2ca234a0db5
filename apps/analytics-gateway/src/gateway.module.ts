import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { Counter, Gauge } from 'prom-client';
import { AnalyticsService } from '@app/analytics';
import { APP_CONFIG, AppConfigModule, HealthChecks, healthResult, HealthModule, MetricsModule, MetricsRegistry } from '@app/common';
import { AnalyticsController } from './analytics.controller';
import { AnalyticsErrorsFilter } from './analytics-errors.filter';
import { DashboardModule } from './dashboard/dashboard.module';
import { GatewayConfig } from './config';
import { HttpMetrics } from './http-metrics';

/** The analytics library for this app: its cache lookups and table versions as metrics, its silver tables as a health check. */
export function createAnalyticsService(config: GatewayConfig, metrics: MetricsRegistry, health: HealthChecks): AnalyticsService {
  const cacheLookups = new Counter({
    name: 'analytics_cache_lookups_total',
    help: 'Answer-cache lookups per endpoint, by result (hit or miss)',
    labelNames: ['endpoint', 'result'],
    registers: [metrics],
  });
  const analytics = new AnalyticsService({
    lakehouseRoot: config.LAKEHOUSE_ROOT,
    cacheMaxEntries: config.CACHE_MAX_ENTRIES,
    refreshIntervalMs: config.SNAPSHOT_REFRESH_INTERVAL,
    maxCachedVersions: config.SNAPSHOT_CACHE_VERSIONS,
    onCacheLookup: (endpoint, hit) => cacheLookups.inc({ endpoint, result: hit ? 'hit' : 'miss' }),
  });
  new Gauge({
    name: 'analytics_table_version',
    help: 'Latest version of each table the gateway has seen (absent while the table does not exist)',
    labelNames: ['table'],
    registers: [metrics],
    collect() {
      this.reset();
      for (const t of [...analytics.silverTables, analytics.bronze]) if (t.knownVersion !== undefined) this.set({ table: t.table }, t.knownVersion);
    },
  });
  health.register('silver-tables', async () => {
    // Up when every silver table can be read: it exists and the last look at its log worked.
    const status = await analytics.silverStatus();
    const up = status.every((s) => s.version !== undefined && !s.error);
    return healthResult('silver-tables', up, { tables: Object.fromEntries(status.map((s) => [s.table, s.error ?? s.version ?? 'not computed yet'])) });
  });
  return analytics;
}

@Module({})
export class AnalyticsGatewayModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    return {
      module: AnalyticsGatewayModule,
      imports: [AppConfigModule.forRoot(config), MetricsModule, HealthModule, DashboardModule.register()],
      controllers: [AnalyticsController],
      providers: [
        { provide: AnalyticsService, inject: [APP_CONFIG, MetricsRegistry, HealthChecks], useFactory: createAnalyticsService },
        { provide: APP_FILTER, useClass: AnalyticsErrorsFilter },
        HttpMetrics, // its Fastify hook is added by configureGateway() (setup.ts)
      ],
    };
  }
}
