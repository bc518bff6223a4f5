import { timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { TaleError } from "../errors";

/** Every route needs the bearer token; a wrong one learns nothing, not even which routes exist. */
export function bearerAuth(token: string): MiddlewareHandler {
  const expected = Buffer.from(token);
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const given = Buffer.from(header.startsWith("Bearer ") ? header.slice(7).trim() : "");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new TaleError("AUTH", "Missing or invalid API token.", {
        hint: "Send `Authorization: Bearer <token>`; the token is in the file TALE_HOME/token.",
      });
    }
    await next();
  };
}
