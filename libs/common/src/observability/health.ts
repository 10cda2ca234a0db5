import { Controller, DynamicModule, Get, Inject, Module, ModuleMetadata, Optional } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorResult, TerminusModule } from '@nestjs/terminus';

/** Apps register checks under this token; /health is up only when all of them are. */
export const HEALTH_CHECKS = Symbol('HEALTH_CHECKS');
export type HealthCheckFn = () => Promise<HealthIndicatorResult>;

export function healthResult(key: string, up: boolean, details: Record<string, unknown> = {}): HealthIndicatorResult {
  return { [key]: { status: up ? 'up' : 'down', ...details } } as HealthIndicatorResult;
}

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    @Optional() @Inject(HEALTH_CHECKS) private readonly checks: HealthCheckFn[] = [],
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check(this.checks ?? []);
  }
}

export interface HealthChecksProvider {
  imports?: ModuleMetadata['imports'];
  inject?: unknown[];
  useFactory: (...deps: never[]) => HealthCheckFn[];
}

@Module({})
export class HealthModule {
  /** `/health` running the checks the factory returns (liveness of consumers, table access...). */
  static register(checks: HealthChecksProvider): DynamicModule {
    return {
      module: HealthModule,
      imports: [TerminusModule.forRoot({ errorLogStyle: 'json' }), ...(checks.imports ?? [])],
      controllers: [HealthController],
      providers: [{ provide: HEALTH_CHECKS, inject: checks.inject as never[], useFactory: checks.useFactory }],
    };
  }
}
