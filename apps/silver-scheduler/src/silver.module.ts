import { DynamicModule, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { AppConfigModule, AuthModule, AuthOptions, HealthModule, MetricsModule } from '@app/common';
import { SilverConfig } from './config';
import { MaintenanceController, ReadinessController, SilverController } from './silver.controller';
import { SilverSchedulerService } from './silver-scheduler.service';

@Module({})
export class SilverModule {
  static forRoot(config: SilverConfig, auth: AuthOptions): DynamicModule {
    return {
      module: SilverModule,
      imports: [AppConfigModule.forRoot(config), AuthModule.forRoot(auth), ScheduleModule.forRoot(), MetricsModule, HealthModule],
      controllers: [SilverController, MaintenanceController, ReadinessController],
      providers: [SilverSchedulerService],
    };
  }
}
