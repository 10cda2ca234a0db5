import { CanActivate, ExecutionContext, ForbiddenException, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiKeyIdentity, presentedApiKey, Role } from './api-keys';
import { AuthOptions } from './auth-env';
import { REQUIRED_ROLE } from './require-role';

export const AUTH_OPTIONS = Symbol('AUTH_OPTIONS');

type Headers = Record<string, string | string[] | undefined>;

/** The identity found for a request, remembered so rate limiting, the guard and the access log hash the key once. */
const identities = new WeakMap<object, ApiKeyIdentity | null>();

/** The request's API key identity (undefined: no key or not a valid one); `raw` is the Node request. */
export function requestIdentity(options: AuthOptions, raw: { headers: Headers }): ApiKeyIdentity | undefined {
  let identity = identities.get(raw);
  if (identity === undefined) {
    const key = presentedApiKey(raw.headers);
    identity = (key !== undefined && options.keys?.identify(key)) || null;
    identities.set(raw, identity);
  }
  return identity ?? undefined;
}

/**
 * Checks the role a route requires (RequireRole): open routes (none required, or a role made
 * open by configuration) pass; otherwise 401 without a valid key, 403 with a key lacking the role.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(AUTH_OPTIONS) private readonly options: AuthOptions,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const role = this.reflector.getAllAndOverride<Role | undefined>(REQUIRED_ROLE, [context.getHandler(), context.getClass()]);
    if (role === undefined || this.options.disabled || this.options.openRoles.includes(role)) return true;
    const request = context.switchToHttp().getRequest<{ raw?: { headers: Headers }; headers: Headers }>();
    const raw = request.raw ?? request;
    const identity = requestIdentity(this.options, raw);
    if (!identity) {
      const res = context.switchToHttp().getResponse<{ header?(k: string, v: string): unknown; setHeader?(k: string, v: string): unknown }>();
      if (res.header) res.header('WWW-Authenticate', 'Bearer');
      else res.setHeader?.('WWW-Authenticate', 'Bearer');
      throw new UnauthorizedException(
        presentedApiKey(raw.headers) === undefined ? 'an API key is required: send Authorization: Bearer <key> (or X-API-Key: <key>)' : 'the API key is not valid',
      );
    }
    if (!identity.roles.has(role)) throw new ForbiddenException(`this API key lacks the ${role} role`);
    return true;
  }
}
