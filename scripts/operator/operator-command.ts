/** One operator command of `npm run lakehouse`: it parses its own arguments and returns an exit code. */
export interface OperatorCommand {
  /** One line shown in the command's usage message. */
  readonly usage: string;
  run(args: readonly string[]): Promise<number>;
}
