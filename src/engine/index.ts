import { checkModelFile } from "./model-file";
import { loadModelHost, type PreparedLlama } from "./model-host";
import { defineEngineOptions, type EngineOptionsInput } from "./options";
import { startEngineServer } from "./server";

export { defineEngineOptions, engineDefaults, type EngineOptions, type EngineOptionsInput } from "./options";
export { watchLifeline, type LifelineOptions } from "./lifeline";
export { prepareLlama, type PreparedLlama } from "./model-host";

export interface EngineHandle {
  port: number;
  /** Base URL of the OpenAI-compatible API, e.g. http://127.0.0.1:PORT/v1. */
  baseUrl: string;
  /** Model id reported by /v1/models. */
  model: string;
  /** Tokens of context per slot, after clamping to the model's training context. */
  contextSize: number;
  /** Parameters of the model, as its GGUF tensor table counts them. */
  parameters: number;
  /** Stops generations in flight, closes the listener and frees the model. */
  stop(): Promise<void>;
}

/** Loads the model and serves it; resolves once the HTTP server listens. `prepared`: llama.cpp already loaded by a warm spare. */
export async function runEngine(input: EngineOptionsInput, prepared?: PreparedLlama): Promise<EngineHandle> {
  const options = defineEngineOptions(input);
  await checkModelFile(options.modelPath);
  const host = await loadModelHost(options, prepared);
  let server;
  try {
    server = startEngineServer({ host, modelId: options.name, port: options.port, defaultMaxTokens: options.maxTokens, apiKey: options.apiKey });
  } catch (error) {
    await host.dispose();
    throw error;
  }
  let stopping: Promise<void> | undefined;
  return {
    port: server.port,
    baseUrl: `http://127.0.0.1:${server.port}/v1`,
    model: options.name,
    contextSize: host.contextSize,
    parameters: host.parameters,
    stop() {
      stopping ??= server.stop().then(() => host.dispose());
      return stopping;
    },
  };
}
