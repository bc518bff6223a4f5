import { createApiClient, type ApiClient } from "./client";
import { connectDaemon, type DaemonConnection } from "../daemon/launcher";
import { homePaths, type HomePaths } from "../daemon/home";

export interface CliContext {
  paths: HomePaths;
  connection: DaemonConnection;
  api: ApiClient;
}

/** Connects to the daemon of TALE_HOME, starting it first when it is not running. */
export async function useDaemon(options: { autoStart?: boolean } = {}): Promise<CliContext> {
  const paths = homePaths();
  const connection = await connectDaemon(paths, options.autoStart ?? true);
  return { paths, connection, api: createApiClient(connection) };
}
