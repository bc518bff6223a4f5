/** URLs may carry credentials (https://user:key@host, ?api_key=…); keep them out of messages and status. */
export function redactUrl(url: string): string {
  const parsed = new URL(url);
  parsed.username = "";
  parsed.password = "";
  parsed.search = "";
  return parsed.toString().replace(/\/$/, "");
}
