import { Controller, Get, Global, Injectable, Module } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorResult, TerminusModule } from '@nestjs/terminus';

export type HealthCheckFn = () => Promise<HealthIndicatorResult> | HealthIndicatorResult;

export function healthResult(key: string, up: boolean, details: Record<string, unknown> = {}): HealthIndicatorResult {
  return { [key]: { status: up ? 'up' : 'down', ...details } } as HealthIndicatorResult;
}

/** Services register their own checks here (consumer alive, tables readable...); /health runs them all. */
@Injectable()
export class HealthChecks {
  private readonly checks = new Map<string, HealthCheckFn>();

  register(name: string, check: HealthCheckFn): void {
    this.checks.set(name, check);
  }

  all(): Array<() => Promise<HealthIndicatorResult>> {
    return [...this.checks.values()].map((c) => async () => c());
  }
}

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly checks: HealthChecks,
  ) {}

  /** 200 when every registered check is up, 503 otherwise (and while shutting down). */
  @Get()
  @HealthCheck()
  check() {
    return this.health.check(this.checks.all());
  }
}

@Global()
@Module({
  imports: [TerminusModule.forRoot({ errorLogStyle: 'json' })],
  controllers: [HealthController],
  providers: [HealthChecks],
  exports: [HealthChecks],
})
export class HealthModule {}
