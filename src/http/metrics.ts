// A small Prometheus registry: counters, gauges and histograms with labels, rendered in the text format.

type Labels = Readonly<Record<string, string>>;

function labelKey(names: readonly string[], labels: Labels): string {
  return names.map((n) => labels[n] ?? "").join("\u0000");
}

function renderLabels(
  names: readonly string[],
  values: readonly string[],
  extra = "",
): string {
  const parts = names.map((n, i) =>
    `${n}="${
      (values[i] ?? "").replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(
        /\n/g,
        "\\n",
      )
    }"`
  );
  if (extra) parts.push(extra);
  return parts.length ? `{${parts.join(",")}}` : "";
}

/** A sample value in the text format (`+Inf`, `-Inf` and `NaN` spelled as Prometheus reads them). */
function formatValue(value: number): string {
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

interface Family {
  render(): string;
}

/** Values per label set, stored or computed at scrape time: what counters and gauges share. */
abstract class Series implements Family {
  readonly #values = new Map<string, number>();
  #collect?: () => Iterable<[Labels, number]>;
  protected abstract readonly type: "counter" | "gauge";
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: string[] = [],
  ) {}

  /** Computes values at scrape time (e.g. from another component's count); they win over stored ones. */
  collectWith(collect: () => Iterable<[Labels, number]>): void {
    this.#collect = collect;
  }

  protected stored(labels: Labels): number | undefined {
    return this.#values.get(labelKey(this.labelNames, labels));
  }

  protected store(labels: Labels, value: number): void {
    this.#values.set(labelKey(this.labelNames, labels), value);
  }

  render(): string {
    const lines = [
      `# HELP ${this.name} ${this.help}`,
      `# TYPE ${this.name} ${this.type}`,
    ];
    const values = new Map(this.#values);
    for (const [labels, value] of this.#collect?.() ?? []) {
      values.set(labelKey(this.labelNames, labels), value);
    }
    for (const [key, value] of values) {
      lines.push(
        `${this.name}${renderLabels(this.labelNames, key.split("\u0000"))} ${
          formatValue(value)
        }`,
      );
    }
    return lines.join("\n");
  }
}

/** A monotonically increasing count per label set. */
export class Counter extends Series {
  protected readonly type = "counter";

  /** Adds `value` (default 1) for the label set. */
  inc(labels: Labels = {}, value = 1): void {
    this.store(labels, (this.stored(labels) ?? 0) + value);
  }

  /** The current stored count for the label set (for tests and benchmarks). */
  get(labels: Labels = {}): number {
    return this.stored(labels) ?? 0;
  }
}

/** A value that goes up and down per label set; optionally computed at scrape time. */
export class Gauge extends Series {
  protected readonly type = "gauge";

  /** Sets the value for the label set. */
  set(labels: Labels, value: number): void {
    this.store(labels, value);
  }
}

/** Observations counted into cumulative buckets per label set. */
export class Histogram implements Family {
  readonly #series = new Map<
    string,
    { counts: number[]; sum: number; count: number }
  >();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: string[],
    readonly buckets: readonly number[],
  ) {}

  /** Records one observation. */
  observe(labels: Labels, value: number): void {
    const key = labelKey(this.labelNames, labels);
    let series = this.#series.get(key);
    if (!series) {
      series = { counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.#series.set(key, series);
    }
    this.buckets.forEach((bound, i) => {
      if (value <= bound) series.counts[i] = (series.counts[i] ?? 0) + 1;
    });
    series.sum += value;
    series.count += 1;
  }

  render(): string {
    const lines = [
      `# HELP ${this.name} ${this.help}`,
      `# TYPE ${this.name} histogram`,
    ];
    for (const [key, series] of this.#series) {
      const values = key.split("\u0000");
      this.buckets.forEach((bound, i) => {
        const le = renderLabels(this.labelNames, values, `le="${bound}"`);
        lines.push(`${this.name}_bucket${le} ${series.counts[i]}`);
      });
      const inf = renderLabels(this.labelNames, values, `le="+Inf"`);
      lines.push(`${this.name}_bucket${inf} ${series.count}`);
      lines.push(
        `${this.name}_sum${
          renderLabels(this.labelNames, values)
        } ${series.sum}`,
      );
      lines.push(
        `${this.name}_count${
          renderLabels(this.labelNames, values)
        } ${series.count}`,
      );
    }
    return lines.join("\n");
  }
}

/** Holds metric families and renders the exposition text. */
export class MetricsRegistry {
  readonly #families: Family[] = [];

  /** Registers and returns a counter. */
  counter(name: string, help: string, labelNames: string[] = []): Counter {
    return this.#add(new Counter(name, help, labelNames));
  }

  /** Registers and returns a gauge. */
  gauge(name: string, help: string, labelNames: string[] = []): Gauge {
    return this.#add(new Gauge(name, help, labelNames));
  }

  /** Registers and returns a histogram. */
  histogram(
    name: string,
    help: string,
    labelNames: string[],
    buckets: number[],
  ): Histogram {
    return this.#add(new Histogram(name, help, labelNames, buckets));
  }

  /** The Prometheus text exposition of every family. */
  render(): string {
    return this.#families.map((f) => f.render()).join("\n") + "\n";
  }

  #add<T extends Family>(family: T): T {
    this.#families.push(family);
    return family;
  }
}
