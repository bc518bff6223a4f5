/**
 * Values that must never reach a log file: the API token, engine keys,
 * remote API keys. Every log line passes through `redact` on its way to
 * disk, so a secret quoted by an error message, an engine or a plugin is
 * masked wherever it came from.
 */
const secrets = new Set<string>();

/** Shorter values would mask ordinary words; real keys are far longer. */
const minSecretLength = 8;

export function addSecret(value: string | undefined): void {
  if (value && value.length >= minSecretLength) secrets.add(value);
}

export function redact(text: string): string {
  let result = text;
  for (const secret of secrets) if (result.includes(secret)) result = result.replaceAll(secret, "[redacted]");
  return result;
}
