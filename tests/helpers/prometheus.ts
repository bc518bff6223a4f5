import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requireCommand } from "./promtool";
import { freePort } from "./supervision";

export interface PrometheusServer {
  /** An instant query through Prometheus's HTTP API: the result vector's samples. */
  query(expression: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  stop(): Promise<void>;
}

/**
 * A real Prometheus server (Debian's `prometheus`) scraping one target every
 * second with the bearer token read from a file, as a user would set it up.
 */
export async function startPrometheus(options: { target: string; tokenFile: string }): Promise<PrometheusServer> {
  requireCommand("prometheus");
  const folder = mkdtempSync(join(tmpdir(), "tale-prometheus-"));
  const configFile = join(folder, "prometheus.yml");
  writeFileSync(
    configFile,
    [
      "global: { scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s }",
      "scrape_configs:",
      "  - job_name: tale",
      "    metrics_path: /metrics",
      `    authorization: { credentials_file: ${JSON.stringify(options.tokenFile)} }`,
      `    static_configs: [{ targets: [${JSON.stringify(options.target)}] }]`,
      "",
    ].join("\n"),
  );
  const port = freePort();
  const child = Bun.spawn(
    ["prometheus", `--config.file=${configFile}`, `--storage.tsdb.path=${join(folder, "data")}`, `--web.listen-address=127.0.0.1:${port}`, "--log.level=warn"],
    { stdout: "ignore", stderr: "pipe", stdin: "ignore" },
  );
  const stop = async () => {
    child.kill("SIGTERM");
    const exited = await Promise.race([child.exited.then(() => true), Bun.sleep(5_000).then(() => false)]);
    if (!exited) {
      child.kill("SIGKILL");
      await child.exited;
    }
    rmSync(folder, { recursive: true, force: true });
  };
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  while (true) {
    const ready = await fetch(`${base}/-/ready`).then((response) => response.ok, () => false);
    if (ready) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      const stderr = await new Response(child.stderr).text().catch(() => "");
      await stop();
      throw new Error(`prometheus did not become ready on port ${port}:\n${stderr}`);
    }
    await Bun.sleep(100);
  }
  return {
    async query(expression) {
      const response = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(expression)}`);
      const body = (await response.json()) as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] }; error?: string };
      if (body.status !== "success") throw new Error(`prometheus query ${expression} failed: ${body.error}`);
      return body.data.result;
    },
    stop,
  };
}
