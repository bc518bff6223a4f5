/**
 * Calls `onLine` with each complete line of a byte stream (after `initial`, text already read from it) (the last one even
 * without a newline) until the stream ends or errors; an engine that dies
 * mid-line still has its last words logged.
 */
/** What a stream reader offers, whichever of Bun's and the DOM's types it has. */
export interface ByteReader {
  read(): Promise<{ value?: Uint8Array; done: boolean }>;
}

export async function forEachLine(reader: ByteReader, onLine: (line: string) => void, initial = ""): Promise<void> {
  const decoder = new TextDecoder();
  let buffered = initial;
  const flush = () => {
    let newline: number;
    while ((newline = buffered.indexOf("\n")) !== -1) {
      onLine(buffered.slice(0, newline));
      buffered = buffered.slice(newline + 1);
    }
  };
  flush();
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += decoder.decode(value, { stream: true });
      flush();
    }
  } catch {
    // The stream errors when the process dies; what it had sent is logged below.
  }
  buffered += decoder.decode();
  flush();
  if (buffered) onLine(buffered);
}
