import { chmodSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { TaleError } from "../errors";
import { newSecret } from "../util/bearer";

/** Creates the API token on first start; only the owner may read it (mode 0600). */
export function ensureToken(tokenFile: string): string {
  try {
    return readToken(tokenFile);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const token = newSecret();
  try {
    writeFileSync(tokenFile, `${token}\n`, { mode: 0o600, flag: "wx" });
  } catch (error) {
    // Another process won the race to create it; use theirs.
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return readToken(tokenFile);
    throw new TaleError("STORAGE", `Cannot write the API token file ${tokenFile}.`, {
      hint: "Check that TALE_HOME is writable by you.",
      cause: error,
    });
  }
  return token;
}

export function readToken(tokenFile: string): string {
  const mode = statSync(tokenFile).mode & 0o777;
  // A token others can read is no secret; tighten it rather than trust it.
  if (mode & 0o077) chmodSync(tokenFile, 0o600);
  const token = readFileSync(tokenFile, "utf8").trim();
  if (!token) {
    throw new TaleError("AUTH", `The API token file ${tokenFile} is empty.`, {
      hint: "Stop tale with `tale down`, delete the file, and start tale again to make a new token.",
    });
  }
  return token;
}
