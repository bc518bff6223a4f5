import { ofetch, type $Fetch, FetchError } from "ofetch";
import { TaleError, fromSerialized, type SerializedError } from "../errors";

export interface ApiClientOptions {
  baseUrl: string;
  token: string;
}

export type ApiClient = $Fetch;

/** An HTTP client for the daemon that turns error bodies back into TaleErrors. */
export function createApiClient(options: ApiClientOptions): ApiClient {
  return ofetch.create({
    baseURL: options.baseUrl,
    headers: { authorization: `Bearer ${options.token}` },
    retry: 0,
    onRequestError({ error }) {
      throw unreachable(error, options.baseUrl);
    },
    onResponseError({ response }) {
      const body = response._data as { error?: SerializedError } | undefined;
      if (body?.error?.code) throw fromSerialized(body.error);
    },
  });
}

/** Network failures reaching the daemon, as a value the CLI can print. */
export function unreachable(error: unknown, baseUrl: string): TaleError {
  if (error instanceof TaleError) return error;
  const reason = error instanceof FetchError ? error.message : String(error);
  return new TaleError("DAEMON_UNAVAILABLE", `Cannot reach the tale daemon at ${baseUrl}.`, {
    hint: "Check `tale status`, or restart it with `tale down && tale up`; the log is in TALE_HOME/logs/daemon.log.",
    details: { reason },
  });
}
