/**
 * The option parsing every operator command shares: `--name value`, `--name=value`, and bare
 * `--flag` for the names a command declares as flags. A malformed argument is an
 * `InvalidOptionError` naming it, which the commands print on stderr with exit code 2.
 */
export class InvalidOptionError extends Error {
  constructor(
    readonly option: string,
    detail: string,
  ) {
    super(`${option}: ${detail}`);
    this.name = 'InvalidOptionError';
  }
}

export function parseOptions(args: readonly string[], flags: ReadonlySet<string>, usage: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith('--')) throw new InvalidOptionError(arg, `expected an option (--name value)\n${usage}`);
    const [name, inline] = arg.slice(2).split('=', 2);
    if (inline !== undefined) params[name] = inline;
    else if (flags.has(name)) params[name] = 'true';
    else if (i + 1 < args.length) params[name] = args[++i];
    else throw new InvalidOptionError(name, 'needs a value');
  }
  return params;
}
