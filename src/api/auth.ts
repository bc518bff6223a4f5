import type { MiddlewareHandler } from "hono";
import { TaleError } from "../errors";
import { bearerMatches } from "../util/bearer";

/** Every route needs the bearer token; a wrong one learns nothing, not even which routes exist. */
export function bearerAuth(token: string): MiddlewareHandler {
  const expected = Buffer.from(token);
  return async (c, next) => {
    if (!bearerMatches(c.req.header("authorization"), expected)) {
      throw new TaleError("AUTH", "Missing or invalid API token.", {
        hint: "Send `Authorization: Bearer <token>`; the token is in the file TALE_HOME/token.",
      });
    }
    await next();
  };
}
