import { expect, test } from "bun:test";
import { redactUrl } from "../../src/supervisor/redact-url";

test("credentials and query strings are dropped from URLs shown to users", () => {
  expect(redactUrl("https://user:sk-secret@api.example.com/v1?api_key=sk-secret")).toBe("https://api.example.com/v1");
  expect(redactUrl("http://127.0.0.1:8080/v1/models")).toBe("http://127.0.0.1:8080/v1/models");
  expect(redactUrl("http://127.0.0.1:8080/")).toBe("http://127.0.0.1:8080");
});
