import type { Interface } from "node:readline";

/**
 * Output for a chat that is typed into: background task news must not land
 * in the middle of what the user is typing, so it clears the prompt line,
 * prints, and draws the prompt again.
 */
export class ChatScreen {
  private streaming = false;

  constructor(private readonly prompt: Interface | undefined) {}

  /** A line of news that may arrive at any time. */
  notice(text: string): void {
    if (this.prompt && !this.streaming) {
      process.stdout.write(`\r\x1b[2K${text}\n`);
      this.prompt.prompt(true);
      return;
    }
    process.stdout.write(`${this.streaming ? "\n" : ""}${text}\n`);
  }

  startReply(): void {
    this.streaming = true;
  }

  write(text: string): void {
    process.stdout.write(text);
  }

  endReply(footer: string): void {
    this.streaming = false;
    process.stdout.write(`\n${footer}\n`);
  }

  ready(): void {
    this.prompt?.prompt();
  }
}
