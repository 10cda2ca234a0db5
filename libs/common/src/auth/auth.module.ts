import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AUTH_OPTIONS, ApiKeyGuard } from './api-key.guard';
import { AuthOptions } from './auth-env';

/** API key checks for an app: RequireRole on its routes, checked by a global guard. */
@Module({})
export class AuthModule {
  static forRoot(options: AuthOptions): DynamicModule {
    return {
      module: AuthModule,
      global: true,
      providers: [{ provide: AUTH_OPTIONS, useValue: options }, { provide: APP_GUARD, useClass: ApiKeyGuard }],
      exports: [AUTH_OPTIONS],
    };
  }
}
