import { TransformFnParams } from 'class-transformer';
import { ValidateBy, ValidationArguments, ValidationOptions } from 'class-validator';
import { parseInstant } from '@app/analytics';
import { toEpochDays } from '@app/delta';

/**
 * Query strings arrive as text. An integer parameter must be all digits: a plain Number() would
 * take '' for 0 and '1e2' for 100. Anything else is left as is for @IsInt to reject by name.
 */
export function toInteger({ value }: TransformFnParams): unknown {
  return typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
}

/** A real calendar day written YYYY-MM-DD (2024-02-30 is refused), as `jour` values are. */
export function IsCalendarDate(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isCalendarDate',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && toEpochDays(value) !== undefined,
        defaultMessage: (args?: ValidationArguments) => `${args?.property} must be a date written YYYY-MM-DD`,
      },
    },
    options,
  );
}

/** An ISO-8601 timestamp (UTC when it has no offset) or a YYYY-MM-DD date, parsed as the analytics library does. */
export function IsInstant(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isInstant',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && parseInstant(value) !== undefined,
        defaultMessage: (args?: ValidationArguments) =>
          `${args?.property} must be an ISO-8601 timestamp such as 2024-12-12T10:00:00Z (UTC when no offset) or a date YYYY-MM-DD`,
      },
    },
    options,
  );
}

/** Fails when the other property is set too. */
export function ExcludesProperty(other: string, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'excludesProperty',
      constraints: [other],
      validator: {
        validate: (_value: unknown, args?: ValidationArguments) => (args?.object as Record<string, unknown>)[other] === undefined,
        defaultMessage: (args?: ValidationArguments) => `${args?.property} and ${other} are mutually exclusive: give at most one`,
      },
    },
    options,
  );
}

/** For the start of a range: fails when the (valid) end date given in `endProperty` is before it. */
export function NotAfterProperty(endProperty: string, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'notAfterProperty',
      constraints: [endProperty],
      validator: {
        validate: (value: unknown, args?: ValidationArguments) => {
          const end = (args?.object as Record<string, unknown>)[endProperty];
          // YYYY-MM-DD strings order like the days they name; invalid ones are reported by IsCalendarDate.
          return typeof value !== 'string' || typeof end !== 'string' || toEpochDays(end) === undefined || value <= end;
        },
        defaultMessage: (args?: ValidationArguments) => `${args?.property} must be on or before ${endProperty}`,
      },
    },
    options,
  );
}
