/** One way of sending a request: straight to an engine, or through the daemon. POST when it has a body. */
export interface RequestTarget {
  label: string;
  url: string;
  headers: Record<string, string>;
  body?: Record<string, unknown>;
}

export interface Batch {
  latencies: number[];
  /** Wall time the batches of this target took, summed over rounds. */
  elapsedMs: number;
  /** Answer text of the first chat request, to check that the targets really did the same work. */
  firstAnswer?: string;
}

export function throughput(batch: Batch): number {
  return batch.latencies.length / (batch.elapsedMs / 1000);
}

/** Sends one request and returns its latency, the whole body read; anything but a 2xx is an error. */
async function send(target: RequestTarget): Promise<{ ms: number; answer?: string }> {
  const started = performance.now();
  const response = await fetch(target.url, {
    method: target.body ? "POST" : "GET",
    headers: { "content-type": "application/json", ...target.headers },
    body: target.body ? JSON.stringify(target.body) : undefined,
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  const ms = performance.now() - started;
  if (!response.ok) throw new Error(`${target.label}: ${response.status} ${text.slice(0, 300)}`);
  const streamed = response.headers.get("content-type")?.includes("text/event-stream") ?? false;
  return { ms, answer: streamed ? streamedAnswer(text) : plainAnswer(text) };
}

type Completion = { choices?: Array<{ message?: { content?: string }; delta?: { content?: string } }> };

function plainAnswer(text: string): string | undefined {
  return (JSON.parse(text) as Completion).choices?.[0]?.message?.content;
}

function streamedAnswer(text: string): string {
  return text
    .split("\n")
    .filter((line) => line.startsWith("data: ") && line !== "data: [DONE]")
    .map((line) => (JSON.parse(line.slice(6)) as Completion).choices?.[0]?.delta?.content ?? "")
    .join("");
}

/** `count` requests with at most `concurrency` in flight, appended to `into`. */
async function runBatch(target: RequestTarget, count: number, concurrency: number, into: Batch): Promise<void> {
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < count) {
      next++;
      const { ms, answer } = await send(target);
      into.latencies.push(ms);
      into.firstAnswer ??= answer;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  into.elapsedMs += performance.now() - started;
}

export interface CompareOptions {
  count: number;
  concurrency: number;
  /** Batches alternate between targets this many times, so noise from other work on the machine hits all of them. */
  rounds: number;
  warmup: number;
}

/** Runs the same load against each target in alternating rounds; returns one batch per target. */
export async function compareTargets(targets: RequestTarget[], options: CompareOptions): Promise<Batch[]> {
  for (const target of targets) await runBatch(target, options.warmup, 1, { latencies: [], elapsedMs: 0 });
  const batches = targets.map((): Batch => ({ latencies: [], elapsedMs: 0 }));
  const perRound = Math.ceil(options.count / options.rounds);
  for (let done = 0, round = 0; done < options.count; done += perRound, round++) {
    const size = Math.min(perRound, options.count - done);
    // Alternate who goes first too, so no target always follows another's warm caches.
    const order = round % 2 ? [...targets.keys()].reverse() : [...targets.keys()];
    for (const index of order) await runBatch(targets[index]!, size, options.concurrency, batches[index]!);
  }
  return batches;
}
