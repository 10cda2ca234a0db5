import { DynamicModule, Global, Module } from '@nestjs/common';
import { EnvConfig, EnvSpec, loadEnv } from './env';

export const APP_CONFIG = Symbol('APP_CONFIG');

/** Provides the app's validated configuration under APP_CONFIG; validation runs once, at module creation. */
@Global()
@Module({})
export class AppConfigModule {
  static forRoot<S extends EnvSpec>(spec: S, env: NodeJS.ProcessEnv = process.env): DynamicModule {
    const config: EnvConfig<S> = loadEnv(spec, env);
    return { module: AppConfigModule, providers: [{ provide: APP_CONFIG, useValue: config }], exports: [APP_CONFIG] };
  }
}
