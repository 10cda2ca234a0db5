import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiSecurity, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { Role } from './api-keys';

export const REQUIRED_ROLE = 'auth:required-role';
/** The OpenAPI security schemes the apps declare (setup of the document: addApiKeySecuritySchemes). */
export const BEARER_SCHEME = 'bearer';
export const API_KEY_SCHEME = 'api-key';

/** An error body as Nest makes it (401, 403, 400…). */
class AuthErrorDto {
  statusCode!: number;
  error!: string;
  message!: string;
}

/**
 * Routes of a controller (or one route) need an API key with this role: 401 without a valid key,
 * 403 with a key lacking the role (ApiKeyGuard). Documented as such in the OpenAPI document.
 */
export function RequireRole(role: Role): ClassDecorator & MethodDecorator {
  return applyDecorators(
    SetMetadata(REQUIRED_ROLE, role),
    ApiBearerAuth(BEARER_SCHEME),
    ApiSecurity(API_KEY_SCHEME),
    ApiUnauthorizedResponse({ type: AuthErrorDto, description: 'No API key, or one that is not valid' }),
    ApiForbiddenResponse({ type: AuthErrorDto, description: `The API key lacks the ${role} role` }),
  );
}
