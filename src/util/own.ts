/**
 * Reads a record by a key that came from outside (a request, a config file,
 * another process). A plain `record[key]` also finds what every object
 * inherits, so "constructor" or "__proto__" would look like known keys.
 */
export function ownValue<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
