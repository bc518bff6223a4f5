/**
 * tale's own small SentencePiece-style ("llama") vocabulary. llama.cpp
 * tokenizes with it by merging adjacent pieces only into pieces that exist,
 * and falls back to the <0xNN> byte tokens for anything else, so every UTF-8
 * text round-trips. Every piece's prefixes are in the vocabulary too, which
 * guarantees that each listed word is reachable by merges as one token.
 */
import { capitalizedWordCount, commonWords, suffixPieces } from "./english-pieces.ts";
import { gguf, type GgufValue } from "./gguf-writer.ts";

/** llama.cpp's llama_token_type values. */
const tokenType = { normal: 1, unknown: 2, control: 3, byte: 6 } as const;

/** SentencePiece's visible space: words start with it, so "▁the" is " the". */
const SPACE = "\u2581";

/** Where a token comes from; the synthesizer uses it to shape what the model emits. */
export type TokenKind = "control" | "byte" | "word" | "piece";

export interface TaleVocabulary {
  tokens: string[];
  scores: number[];
  types: number[];
  kinds: TokenKind[];
  ids: { unk: number; bos: number; eos: number; imStart: number; imEnd: number };
}

/**
 * ChatML, with the BOS token first, exactly as node-llama-cpp's
 * ChatMLChatWrapper renders it, so LlamaChatSession recognises it and uses the
 * specialised wrapper instead of interpreting Jinja.
 */
export const taleChatTemplate =
  "{{ bos_token }}{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

function byteToken(byte: number): string {
  return `<0x${byte.toString(16).toUpperCase().padStart(2, "0")}>`;
}

function prefixesOf(piece: string): string[] {
  const chars = Array.from(piece);
  return chars.map((_, end) => chars.slice(0, end + 1).join(""));
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

function normalPieces(): { words: string[]; pieces: string[] } {
  const words = [...commonWords, ...commonWords.slice(0, capitalizedWordCount).map(capitalize)].map((w) => SPACE + w);
  const printableAscii = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i));
  const pieces = new Set<string>([SPACE, ...words, ...suffixPieces]);
  for (const piece of [...pieces]) for (const prefix of prefixesOf(piece)) pieces.add(prefix);
  for (const char of printableAscii) pieces.add(char);
  return { words: [...new Set(words)], pieces: [...pieces] };
}

function buildVocabulary(): TaleVocabulary {
  const tokens: string[] = [];
  const scores: number[] = [];
  const types: number[] = [];
  const kinds: TokenKind[] = [];
  const add = (token: string, type: number, kind: TokenKind, score = 0): number => {
    tokens.push(token);
    scores.push(score);
    types.push(type);
    kinds.push(kind);
    return tokens.length - 1;
  };

  const unk = add("<unk>", tokenType.unknown, "control");
  const bos = add("<s>", tokenType.control, "control");
  const eos = add("</s>", tokenType.control, "control");
  for (let byte = 0; byte < 256; byte++) add(byteToken(byte), tokenType.byte, "byte");
  const imStart = add("<|im_start|>", tokenType.control, "control");
  const imEnd = add("<|im_end|>", tokenType.control, "control");

  const { words, pieces } = normalPieces();
  const wordSet = new Set(words);
  // Like SentencePiece's log-probabilities: earlier (more frequent) pieces score higher and merge first.
  pieces.forEach((piece, rank) => add(piece, tokenType.normal, wordSet.has(piece) ? "word" : "piece", -rank));

  return { tokens, scores, types, kinds, ids: { unk, bos, eos, imStart, imEnd } };
}

let cached: TaleVocabulary | undefined;

/** The vocabulary is fixed by the code, so it is built once per process. */
export function taleVocabulary(): TaleVocabulary {
  cached ??= buildVocabulary();
  return cached;
}

/** The `tokenizer.*` GGUF keys llama.cpp needs to load and use the vocabulary. */
export function tokenizerMetadata(vocabulary: TaleVocabulary = taleVocabulary()): Record<string, GgufValue> {
  return {
    "tokenizer.ggml.model": gguf.string("llama"),
    "tokenizer.ggml.tokens": gguf.array.strings(vocabulary.tokens),
    "tokenizer.ggml.scores": gguf.array.numbers("float32", vocabulary.scores),
    "tokenizer.ggml.token_type": gguf.array.numbers("int32", vocabulary.types),
    "tokenizer.ggml.unknown_token_id": gguf.uint32(vocabulary.ids.unk),
    "tokenizer.ggml.bos_token_id": gguf.uint32(vocabulary.ids.bos),
    "tokenizer.ggml.eos_token_id": gguf.uint32(vocabulary.ids.eos),
    "tokenizer.ggml.eot_token_id": gguf.uint32(vocabulary.ids.imEnd),
    "tokenizer.ggml.add_bos_token": gguf.bool(true),
    "tokenizer.ggml.add_eos_token": gguf.bool(false),
    "tokenizer.chat_template": gguf.string(taleChatTemplate),
  };
}
