import type { Server } from "bun";
import { TaleError } from "../errors";

export interface ListenOptions {
  host: string;
  port: number;
  fetch: (request: Request, server: Server<undefined>) => Response | Promise<Response>;
}

/** Binds the API; a taken port becomes an error that says which port and what to do. */
export function listen(options: ListenOptions): Server<undefined> {
  try {
    return Bun.serve({
      hostname: options.host,
      port: options.port,
      fetch: options.fetch,
      // Long-polls and streams stay open for as long as a task runs.
      idleTimeout: 0,
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE" || /in use/i.test(String((error as Error).message))) {
      throw new TaleError("PORT_IN_USE", `Port ${options.port} on ${options.host} is already in use.`, {
        hint: `Stop the program using it, or pick another port: \`tale up --port <n>\` or "api": { "port": <n> } in tale.config.json.`,
      });
    }
    throw error;
  }
}
