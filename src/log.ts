// JSON-lines logger with levels and bound fields; the only module that writes to the console.

/** Severity of a log line, lowest first. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Output shape: one JSON object per line, or a human-readable line for local runs. */
export type LogFormat = "json" | "text";

/** Key/value pairs attached to a log line. Values must be JSON-serialisable. */
export type LogFields = Record<string, unknown>;

const LEVEL_ORDER: Record<LogLevel, number> = {
  debug: 10,
  info: 20,
  warn: 30,
  error: 40,
};

/** Where finished lines go; tests pass a collector instead of the console. */
export type LogSink = (line: string, level: LogLevel) => void;

/** Options for {@linkcode Logger}. */
export interface LoggerOptions {
  level?: LogLevel;
  format?: LogFormat;
  sink?: LogSink;
  fields?: LogFields;
}

function consoleSink(line: string, level: LogLevel): void {
  // deno-lint-ignore no-console
  if (level === "error" || level === "warn") console.error(line);
  // deno-lint-ignore no-console
  else console.log(line);
}

/** Turns an unknown thrown value into loggable fields (message and, for errors, the name). */
export function errorFields(error: unknown): LogFields {
  if (error instanceof Error) {
    return { error: error.message, errorType: error.name };
  }
  return { error: String(error) };
}

/** Structured logger; `child()` binds fields such as controller, namespace and name. */
export class Logger {
  readonly #level: LogLevel;
  readonly #format: LogFormat;
  readonly #sink: LogSink;
  readonly #fields: LogFields;

  constructor(options: LoggerOptions = {}) {
    this.#level = options.level ?? "info";
    this.#format = options.format ?? "json";
    this.#sink = options.sink ?? consoleSink;
    this.#fields = options.fields ?? {};
  }

  /** Returns a logger that adds `fields` to every line. */
  child(fields: LogFields): Logger {
    return new Logger({
      level: this.#level,
      format: this.#format,
      sink: this.#sink,
      fields: { ...this.#fields, ...fields },
    });
  }

  /** Whether lines of `level` are written. */
  enabled(level: LogLevel): boolean {
    return LEVEL_ORDER[level] >= LEVEL_ORDER[this.#level];
  }

  debug(msg: string, fields?: LogFields): void {
    this.#write("debug", msg, fields);
  }

  info(msg: string, fields?: LogFields): void {
    this.#write("info", msg, fields);
  }

  warn(msg: string, fields?: LogFields): void {
    this.#write("warn", msg, fields);
  }

  error(msg: string, fields?: LogFields): void {
    this.#write("error", msg, fields);
  }

  #write(level: LogLevel, msg: string, fields?: LogFields): void {
    if (!this.enabled(level)) return;
    const record = {
      level,
      time: new Date().toISOString(),
      msg,
      ...this.#fields,
      ...fields,
    };
    if (this.#format === "json") {
      this.#sink(JSON.stringify(record), level);
      return;
    }
    const { level: _l, time, msg: _m, ...rest } = record;
    const kv = Object.entries(rest).map(([k, v]) =>
      `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`
    ).join(" ");
    this.#sink(
      `${time} ${level.toUpperCase()} ${msg}${kv ? " " + kv : ""}`,
      level,
    );
  }
}

/** A logger that discards everything (for tests that do not care about logs). */
export const silentLogger: Logger = new Logger({ sink: () => {} });
