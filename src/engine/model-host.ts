import type { ChatWrapper, Llama, LlamaChat, LlamaContext, LlamaContextSequence, LlamaModel } from "node-llama-cpp";
import { TaleError } from "../errors";
import { engineLog } from "./log";
import { importNodeLlamaCpp } from "./runtime";
import { createSlotPool, type SlotPool } from "./slot-pool";

type NodeLlamaCpp = Awaited<ReturnType<typeof importNodeLlamaCpp>>;

export interface ModelHostOptions {
  modelPath: string;
  threads: number;
  slots: number;
  contextSize: number;
}

/** One context sequence with the chat driver bound to it; serves one request at a time. */
export interface ChatSlot {
  sequence: LlamaContextSequence;
  chat: LlamaChat;
}

export interface ModelHost {
  model: LlamaModel;
  chatWrapper: ChatWrapper;
  /** Tokens of context per slot, after clamping to the model's training context. */
  contextSize: number;
  /** Elements of all the model's tensors, counted from the GGUF tensor table. */
  parameters: number;
  pool: SlotPool<ChatSlot>;
  dispose(): Promise<void>;
}

/** node-llama-cpp with its native binding loaded and tested: the slow half of an engine start, which needs no model. */
export interface PreparedLlama {
  llamaCpp: NodeLlamaCpp;
  llama: Llama;
}

export async function prepareLlama(threads: number): Promise<PreparedLlama> {
  const llamaCpp = await importNodeLlamaCpp();
  const llama = await llamaCpp.getLlama({
    gpu: false,
    build: "never",
    skipDownload: true,
    progressLogs: false,
    maxThreads: threads,
    logLevel: llamaCpp.LlamaLogLevel.warn,
    // Logged at info: consola frames warnings with blank lines, which clutters the captured stderr.
    logger: (level, message) => engineLog.info(`llama.cpp ${level}: ${message.trimEnd()}`),
  });
  return { llamaCpp, llama };
}

/** Loads the model once and splits one context into `slots` sequences. */
export async function loadModelHost(options: ModelHostOptions, prepared?: PreparedLlama): Promise<ModelHost> {
  const { llamaCpp, llama } = prepared ?? (await prepareLlama(options.threads));
  try {
    return await hostModel(llamaCpp, llama, options);
  } catch (error) {
    // A half-loaded llama keeps native handles that would hold the process open after the error.
    await llama.dispose();
    throw error;
  }
}

async function hostModel(llamaCpp: NodeLlamaCpp, llama: Llama, options: ModelHostOptions): Promise<ModelHost> {
  const model = await loadModel(llama, options.modelPath);
  const contextSize = Math.min(options.contextSize, model.trainContextSize);
  if (contextSize < options.contextSize) {
    engineLog.warn(`Context size ${options.contextSize} is larger than the model was trained for (${model.trainContextSize}); using ${contextSize}.`);
  }
  const context = await createContext(model, { ...options, contextSize });
  const chatWrapper = llamaCpp.resolveChatWrapper(model);
  const slots: ChatSlot[] = [];
  for (let index = 0; index < options.slots; index++) {
    const sequence = context.getSequence();
    slots.push({ sequence, chat: new llamaCpp.LlamaChat({ contextSequence: sequence, chatWrapper }) });
  }
  return {
    model,
    chatWrapper,
    contextSize,
    parameters: model.fileInsights.totalParameters,
    pool: createSlotPool(slots),
    async dispose() {
      for (const slot of slots) slot.chat.dispose();
      await context.dispose();
      await model.dispose();
      await llama.dispose();
    },
  };
}

async function loadModel(llama: Llama, modelPath: string): Promise<LlamaModel> {
  try {
    return await llama.loadModel({ modelPath, gpuLayers: 0 });
  } catch (error) {
    throw new TaleError("MODEL_NOT_FOUND", `Could not load the model ${modelPath}: ${messageOf(error)}`, {
      hint: "Check that the file is a complete GGUF model of an architecture llama.cpp supports.",
      details: { path: modelPath },
      cause: error,
    });
  }
}

async function createContext(model: LlamaModel, options: ModelHostOptions): Promise<LlamaContext> {
  try {
    return await model.createContext({ sequences: options.slots, contextSize: options.contextSize, threads: options.threads });
  } catch (error) {
    await model.dispose();
    throw new TaleError("ENGINE_START_FAILED", `Could not create a context of ${options.slots} x ${options.contextSize} tokens: ${messageOf(error)}`, {
      hint: "Lower slots or contextSize for this engine in your tale config.",
      cause: error,
    });
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
