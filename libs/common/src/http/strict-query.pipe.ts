import { ArgumentMetadata, BadRequestException, Injectable, Type, ValidationPipe, ValidationPipeOptions } from '@nestjs/common';
import { getMetadataStorage } from 'class-validator';

/**
 * Nest's ValidationPipe (unknown parameters refused, values converted to the DTO types, one
 * message per bad parameter), which also refuses query and path parameters named like an
 * object's own members (`constructor`, `__proto__`, `toString`…): the whitelist check looks
 * them up on the DTO instance, where they exist, so they slip through it. Here a parameter is
 * known only when the DTO declares a validation rule for it.
 */
@Injectable()
export class StrictValidationPipe extends ValidationPipe {
  private readonly declared = new Map<Type<unknown>, Set<string>>();

  constructor(options: ValidationPipeOptions = {}) {
    super({ whitelist: true, forbidNonWhitelisted: true, transform: true, stopAtFirstError: true, ...options });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if ((metadata.type === 'query' || metadata.type === 'param') && metadata.metatype && value && typeof value === 'object') {
      const known = this.declaredProperties(metadata.metatype);
      const unknown = Object.keys(value).filter((k) => !known.has(k));
      if (unknown.length) throw new BadRequestException(unknown.map((k) => `property ${k.length > 64 ? `${k.slice(0, 64)}…` : k} should not exist`));
    }
    return super.transform(value, metadata);
  }

  private declaredProperties(metatype: Type<unknown>): Set<string> {
    let known = this.declared.get(metatype);
    if (!known) {
      known = new Set(getMetadataStorage().getTargetValidationMetadatas(metatype, '', true, false).map((m) => m.propertyName));
      this.declared.set(metatype, known);
    }
    return known;
  }
}
