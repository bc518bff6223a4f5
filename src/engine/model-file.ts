import { open, stat } from "node:fs/promises";
import { TaleError } from "../errors";

const ggufMagic = "GGUF";

/**
 * Checks the model file before node-llama-cpp sees it, so a wrong path gives
 * a plain message instead of a native loader error (or a crash).
 */
export async function checkModelFile(modelPath: string): Promise<void> {
  const info = await stat(modelPath).catch((error: NodeJS.ErrnoException) => {
    throw new TaleError("MODEL_NOT_FOUND", `Model file not found: ${modelPath}`, {
      hint: "Check the model path in your tale config (or the --model flag), or put the GGUF file at that path.",
      details: { path: modelPath, errno: error.code },
      cause: error,
    });
  });
  if (!info.isFile()) {
    throw new TaleError("MODEL_NOT_FOUND", `Model path is not a file: ${modelPath}`, {
      hint: "Point the model setting at a .gguf file, not a folder.",
      details: { path: modelPath },
    });
  }
  const magic = await readMagic(modelPath);
  if (magic !== ggufMagic) {
    throw new TaleError("MODEL_NOT_FOUND", `Model file is not a GGUF file: ${modelPath}`, {
      hint: "The built-in engine serves GGUF models only; check that the download finished and the file ends in .gguf.",
      details: { path: modelPath },
    });
  }
}

async function readMagic(modelPath: string): Promise<string> {
  let file;
  try {
    file = await open(modelPath, "r");
  } catch (error) {
    throw new TaleError("MODEL_NOT_FOUND", `Model file is not readable: ${modelPath}`, {
      hint: "Give the user running tale read permission on the file (chmod a+r).",
      details: { path: modelPath, errno: (error as NodeJS.ErrnoException).code },
      cause: error,
    });
  }
  try {
    const buffer = Buffer.alloc(ggufMagic.length);
    const { bytesRead } = await file.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead).toString("latin1");
  } finally {
    await file.close();
  }
}
