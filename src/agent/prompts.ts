/**
 * What the ux model is told. Kept short: every token here is paid on every
 * turn by the cheapest model, and the whole point is to keep turns cheap.
 */
export const conversationSystemPrompt =
  "You are tale, a helpful assistant. Answer briefly and conversationally. Longer work is handed to a larger model.";

export const acknowledgementSystemPrompt =
  "You are tale. The user asked for a piece of work that a larger model is now doing in the background. " +
  "In one short sentence, acknowledge the request and say the result will follow. Do not attempt the work.";

/** Tokens for a one-sentence acknowledgement. */
export const acknowledgementMaxTokens = 40;

/** Output budget for work handed to the task model: a real answer, not a reply. */
export const handoffMaxTokens = 1024;

/** History the ux model sees, in characters (about 4 per token), so a long session never overflows its context. */
export const historyBudgetChars = 4_800;

/** How much of an earlier task result the ux model sees as context. */
export const taskResultContextChars = 600;
