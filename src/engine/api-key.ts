import { readFileSync } from "node:fs";
import { TaleError } from "../errors";
import { newSecret } from "../util/bearer";
import { readStdinLine } from "./stdin-line";

/**
 * Where the engine's key comes from. Only a holder of the key may use
 * /v1/*, so nobody else on the machine can bypass the daemon's token, queue,
 * rate limits and ledger through the engine's loopback port. The key never
 * travels on the command line or in the environment: `ps` shows the first to
 * every user, and children inherit the second.
 */
export interface KeySources {
  /** The first line of stdin is the key: how the daemon hands it over. */
  keyStdin: boolean;
  /** A file holding the key, for a person or another supervisor. */
  apiKeyFile?: string;
  /** Whether a generated key can be shown to a person (stderr is a terminal). */
  interactive: boolean;
}

export interface EngineKey {
  key: string;
  /** Made up here because no source was given; the caller shows it once. */
  generated: boolean;
}

export async function resolveEngineKey(sources: KeySources): Promise<EngineKey> {
  if (sources.keyStdin && sources.apiKeyFile) {
    throw usage("--key-stdin and --api-key-file both name the key; give one.");
  }
  if (sources.keyStdin) {
    const line = await readStdinLine();
    if (line === undefined) throw usage("stdin closed before it gave a key.");
    return { key: nonEmpty(line, "The first line of stdin"), generated: false };
  }
  if (sources.apiKeyFile) return { key: nonEmpty(readKeyFile(sources.apiKeyFile), `The key file ${sources.apiKeyFile}`), generated: false };
  // A generated key shown anywhere but a terminal would end up in a log file.
  if (!sources.interactive) throw usage("tale engine needs a key when its output is not a terminal.");
  return { key: newSecret(), generated: true };
}

function readKeyFile(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new TaleError("BAD_REQUEST", `Cannot read the key file ${path} (${(error as NodeJS.ErrnoException).code ?? "unreadable"}).`, {
      hint: "Write the key on one line of a file only you can read (chmod 600), and pass its path to --api-key-file.",
      cause: error,
    });
  }
}

function nonEmpty(text: string, what: string): string {
  const key = text.trim();
  if (!key) throw usage(`${what} is empty, so there is no key.`);
  return key;
}

function usage(message: string): TaleError {
  return new TaleError("BAD_REQUEST", message, {
    hint: "Pass --api-key-file PATH (a file holding the key) or --key-stdin (the key as the first line of stdin); clients then send `Authorization: Bearer <key>`.",
  });
}
