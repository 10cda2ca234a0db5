import { timingSafeEqual } from 'node:crypto';
import { CanActivate, ExecutionContext, ForbiddenException, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { APP_CONFIG } from '@app/common';
import { BronzeConfig } from './config';

/**
 * Operator-only endpoints (quarantine replay writes to bronze). For now a shared token,
 * OPERATOR_TOKEN, as `Authorization: Bearer <token>`; without it configured, they are disabled.
 * This is the one place to swap for role-based API keys.
 */
@Injectable()
export class OperatorGuard implements CanActivate {
  constructor(@Inject(APP_CONFIG) private readonly config: BronzeConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const expected = this.config.OPERATOR_TOKEN;
    if (!expected) throw new ForbiddenException('operator endpoints are disabled: set OPERATOR_TOKEN to enable them');
    const header = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>().headers.authorization ?? '';
    const given = Buffer.from(header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '');
    const wanted = Buffer.from(expected);
    if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) throw new UnauthorizedException('an operator token is required (Authorization: Bearer <OPERATOR_TOKEN>)');
    return true;
  }
}
