/** What every command gets from the program: global flags and the package version. */
export interface CliContext {
  readonly version: string;
  /** True when `--verbose` was given: errors print their stack. */
  verbose(): boolean;
}
