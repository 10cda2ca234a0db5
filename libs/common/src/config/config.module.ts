import { DynamicModule, Global, Module } from '@nestjs/common';

export const APP_CONFIG = Symbol('APP_CONFIG');

/** Provides the app's configuration, validated by `loadEnv` before the app is built, under APP_CONFIG. */
@Global()
@Module({})
export class AppConfigModule {
  static forRoot(config: object): DynamicModule {
    return { module: AppConfigModule, providers: [{ provide: APP_CONFIG, useValue: config }], exports: [APP_CONFIG] };
  }
}
