/** One source of configuration values, before validation. */
export interface ConfigLayer {
  /** Where the values came from, as messages show it: a file path, `environment variable X`, `command-line options`. */
  source: string;
  /** Set when the source is a file; LoadedConfig.sources lists these. */
  file?: string;
  /** Folder that relative model paths in this layer are relative to. */
  baseDir: string;
  /** What the user does to correct a value from this source. */
  fix: string;
  values: unknown;
}
