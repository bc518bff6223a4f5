import type { EngineConfig, Role } from "../config/types";
import type { SerializedError, TaleError } from "../errors";
import type { EndpointBreaker } from "./endpoint-breaker";
import type { CircuitState, CircuitView } from "./engine-circuit";
import { transition, type EngineEvent, type EngineState } from "./engine-state";
import { redactUrl } from "./redact-url";

export type EngineKind = EngineConfig["engine"];

/** Plain status of one engine, as `tale status` and the API show it. Never holds secrets. */
export interface EngineSnapshot {
  id: string;
  role: Role;
  kind: EngineKind;
  state: EngineState;
  model: string;
  /** Parameters of the model when the engine reports them (builtin engines do), for cost weights. */
  parameters: number | null;
  pid: number | null;
  /** The warm spare waiting to replace this engine's process (builtin.warmSpare); null when there is none. */
  sparePid: number | null;
  port: number | null;
  baseUrl: string | null;
  uptimeMs: number | null;
  restarts: number;
  /** "open" after a crash loop: no restarts until the trial start at `circuitRetryAt`. */
  circuit: CircuitState;
  /** ISO time of the next trial start while the circuit is open. */
  circuitRetryAt: string | null;
  slots: { total: number; inFlight: number };
  /** How long the latest health check took, answered or not; null before the first. */
  healthCheckMs: number | null;
  lastError: SerializedError | null;
}

export interface EngineHandleInit {
  id: string;
  role: Role;
  kind: EngineKind;
  model: string;
  slots: number;
  apiKey?: string;
}

export interface EngineHandleListeners {
  onState(handle: EngineHandle, previous: EngineState): void;
  onRelease(handle: EngineHandle): void;
}

/** Where a live engine answers. */
export interface EngineEndpoint {
  pid?: number;
  port?: number;
  /** OpenAI base URL: requests go to `${baseUrl}/chat/completions`. */
  baseUrl: string;
  /** Parameters of the served model, when the engine reports them. */
  parameters?: number;
}

/** One request slot held on an engine; releasing twice is harmless. */
export interface SlotLease {
  release(): void;
}

/**
 * One supervised engine: what it is, where it answers, how it is doing and
 * how many of its request slots are taken.
 */
export class EngineHandle {
  readonly id: string;
  readonly role: Role;
  readonly kind: EngineKind;
  readonly slots: number;
  readonly model: string;
  /** Kept across restarts: the model does not change, and the count stays known while the engine is down. */
  parameters?: number;
  pid?: number;
  sparePid?: number;
  port?: number;
  baseUrl?: string;
  state: EngineState = "stopped";
  startedAt?: number;
  /** Start of the current uninterrupted healthy period. */
  healthySince?: number;
  restarts = 0;
  healthCheckMs?: number;
  lastError?: TaleError;
  /** The engine process's circuit, set by the runner that owns it; an engine nobody runs counts as closed. */
  circuit?: CircuitView;
  /** Remote engines only: the breaker their requests go through. */
  endpointBreaker?: EndpointBreaker;
  inFlight = 0;
  readonly #apiKey?: string;
  readonly #listeners: EngineHandleListeners;

  constructor(init: EngineHandleInit, listeners: EngineHandleListeners) {
    this.id = init.id;
    this.role = init.role;
    this.kind = init.kind;
    this.model = init.model;
    this.slots = init.slots;
    this.#apiKey = init.apiKey;
    this.#listeners = listeners;
  }

  /** For the request client only; deliberately absent from snapshots and JSON. */
  get apiKey(): string | undefined {
    return this.#apiKey;
  }

  get uptimeMs(): number | undefined {
    return this.startedAt === undefined ? undefined : Date.now() - this.startedAt;
  }

  /** Healthy, and not behind an open endpoint circuit still cooling down. */
  get acceptsRequests(): boolean {
    return this.state === "healthy" && (this.endpointBreaker?.admits ?? true);
  }

  /** The circuit status shows: the process's while it is not closed, else the endpoint's. */
  get shownCircuit(): CircuitView | undefined {
    return this.circuit && this.circuit.state !== "closed" ? this.circuit : (this.endpointBreaker ?? this.circuit);
  }

  get freeSlots(): number {
    return Math.max(0, this.slots - this.inFlight);
  }

  apply(event: EngineEvent): EngineState {
    const previous = this.state;
    const next = transition(previous, event);
    if (next === previous) return next;
    this.state = next;
    if (next === "healthy") this.healthySince = Date.now();
    else this.healthySince = undefined;
    this.#listeners.onState(this, previous);
    return next;
  }

  attach(endpoint: EngineEndpoint): void {
    this.pid = endpoint.pid;
    this.port = endpoint.port;
    this.baseUrl = endpoint.baseUrl;
    if (endpoint.parameters !== undefined) this.parameters = endpoint.parameters;
    this.startedAt = Date.now();
  }

  detach(): void {
    this.pid = undefined;
    this.port = undefined;
    this.startedAt = undefined;
  }

  tryAcquireSlot(): SlotLease | undefined {
    if (!this.acceptsRequests || this.freeSlots === 0) return undefined;
    this.inFlight++;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.inFlight--;
        this.#listeners.onRelease(this);
      },
    };
  }

  snapshot(): EngineSnapshot {
    return {
      id: this.id,
      role: this.role,
      kind: this.kind,
      state: this.state,
      model: this.model,
      parameters: this.parameters ?? null,
      pid: this.pid ?? null,
      sparePid: this.sparePid ?? null,
      port: this.port ?? null,
      baseUrl: this.baseUrl ? redactUrl(this.baseUrl) : null,
      uptimeMs: this.uptimeMs ?? null,
      restarts: this.restarts,
      circuit: this.shownCircuit?.state ?? "closed",
      circuitRetryAt: this.shownCircuit?.retryAt === undefined ? null : new Date(this.shownCircuit.retryAt).toISOString(),
      slots: { total: this.slots, inFlight: this.inFlight },
      healthCheckMs: this.healthCheckMs ?? null,
      lastError: this.lastError?.toJSON() ?? null,
    };
  }

  toJSON(): EngineSnapshot {
    return this.snapshot();
  }
}
