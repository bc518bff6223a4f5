import { importNodeLlamaCpp } from "../engine/runtime";
import { TaleError } from "../errors";

export interface PullOptions {
  /** A Hugging Face URI (hf:user/repo/file.gguf) or an https URL of a .gguf file. */
  uri: string;
  dir: string;
  /** Show node-llama-cpp's progress bar on the terminal. */
  progress: boolean;
}

/** Downloads a GGUF with node-llama-cpp's resumable downloader; kept thin because it cannot be tested offline. */
export async function pullModel(options: PullOptions): Promise<string> {
  const { createModelDownloader } = await importNodeLlamaCpp();
  try {
    const downloader = await createModelDownloader({ modelUri: options.uri, dirPath: options.dir, showCliProgress: options.progress });
    return await downloader.download();
  } catch (error) {
    throw new TaleError("MODEL_NOT_FOUND", `Could not download ${options.uri}: ${(error as Error).message}`, {
      hint: "Check the URI (e.g. hf:<user>/<repo>/<file>.gguf) and your network; downloads resume where they stopped.",
      cause: error,
    });
  }
}
