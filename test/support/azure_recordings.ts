// The pack of real recorded ARM interactions with APIM (test/fixtures/azure-recordings): loading, replay order, names.
//
// Every `*.json` at the top of the folder is one recording (format in its README.md); a new file
// dropped there is replayed by the tests without code. Recordings carry `{subscriptionId}`,
// `{resourceGroup}` and `{serviceName}` placeholders; `withNames` puts concrete names in their place.

import { z } from "zod";

/** The in-repo copy of the pack (CI runs from a clean clone). */
export const RECORDINGS_DIR = new URL(
  "../fixtures/azure-recordings/",
  import.meta.url,
);

const headersSchema = z.record(z.string(), z.string());

const interactionSchema = z.object({
  source: z.string().regex(/#\d+$/),
  request: z.object({
    method: z.string(),
    url: z.string().startsWith("/"),
    headers: headersSchema,
    body: z.unknown(),
    note: z.string().optional(),
  }),
  response: z.object({
    status: z.number().int(),
    headers: headersSchema,
    body: z.unknown(),
  }),
  pollOf: z.number().int().optional(),
  recordedAt: z.string().optional(),
});

/** One recorded request and answer. */
export type Interaction = z.infer<typeof interactionSchema> & {
  /** Index of the interaction in its source file (`source` after `#`). */
  index: number;
};

/** One file of the pack. */
export interface Recording {
  /** File name without `.json`, e.g. `net-ApiRevisionTests-CreateListUpdateDelete`. */
  name: string;
  /** In file order. */
  interactions: Interaction[];
}

/** Reads one recording file. */
export function readRecording(url: URL): Recording {
  const raw: unknown = JSON.parse(Deno.readTextFileSync(url));
  const interactions = z.array(interactionSchema).parse(raw).map((i) => ({
    ...i,
    index: Number(i.source.slice(i.source.lastIndexOf("#") + 1)),
  }));
  const file = url.pathname.slice(url.pathname.lastIndexOf("/") + 1);
  return { name: file.replace(/\.json$/, ""), interactions };
}

/** Every recording of the pack, sorted by name. */
export function loadRecordings(dir: URL = RECORDINGS_DIR): Recording[] {
  return [...Deno.readDirSync(dir)]
    .filter((e) => e.isFile && e.name.endsWith(".json"))
    .map((e) => e.name)
    .sort()
    .map((name) => readRecording(new URL(name, dir)));
}

/** The interaction with source index `index`. */
export function interactionAt(
  recording: Recording,
  index: number,
): Interaction {
  const found = recording.interactions.find((i) => i.index === index);
  if (!found) throw new Error(`${recording.name} has no interaction #${index}`);
  return found;
}

/**
 * The order the requests were sent in. Files with `recordedAt` (the .NET, CLI and Python
 * recorders) are sorted by it: the .NET track-1 recorder stores repeated identical requests next
 * to the first one (pack README), so an entry that repeats the method and URL of the entry before
 * it was moved up; within one second such a moved entry goes after the others. Files without
 * dates (go-vcr) are in send order already.
 */
export function replayOrder(recording: Recording): Interaction[] {
  const list = recording.interactions;
  if (list.some((i) => i.recordedAt === undefined)) return [...list];
  const keyed = list.map((i, position) => {
    const previous = list[position - 1];
    const moved = previous !== undefined &&
      previous.request.method === i.request.method &&
      previous.request.url === i.request.url;
    return { i, at: Date.parse(i.recordedAt ?? ""), moved, position };
  });
  keyed.sort((a, b) =>
    a.at - b.at || Number(a.moved) - Number(b.moved) ||
    a.position - b.position
  );
  return keyed.map((k) => k.i);
}

/** Concrete values for the pack's placeholders. */
export interface RecordingNames {
  subscriptionId: string;
  resourceGroup: string;
  serviceName: string;
}

/** Names the replay tests use. */
export const REPLAY_NAMES: RecordingNames = {
  subscriptionId: "5d3f0b1e-7c2a-4e9b-8f61-2a9c4d7e3b10",
  resourceGroup: "rg-replay",
  serviceName: "apim-replay",
};

function replaceNames(text: string, names: RecordingNames): string {
  return text.replaceAll("{subscriptionId}", names.subscriptionId)
    .replaceAll("{resourceGroup}", names.resourceGroup)
    .replaceAll("{serviceName}", names.serviceName);
}

/** `value` (any JSON, or a string) with every placeholder replaced. */
export function withNames<T>(value: T, names: RecordingNames): T {
  if (typeof value === "string") return replaceNames(value, names) as T;
  if (Array.isArray(value)) return value.map((v) => withNames(v, names)) as T;
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, withNames(v, names)]),
    ) as T;
  }
  return value;
}

/** The service the URL of a recorded request addresses (placeholders already replaced), if any. */
export function serviceOfUrl(
  url: string,
): { subscriptionId: string; resourceGroup: string; name: string } | null {
  const m =
    /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ApiManagement\/service\/([^/?]+)/i
      .exec(url);
  return m?.[1] && m[2] && m[3]
    ? { subscriptionId: m[1], resourceGroup: m[2], name: m[3] }
    : null;
}

const documentsDir = new URL("documents/", RECORDINGS_DIR);

/**
 * The request body as it was sent. One recorded import document was cut to its first 2,000
 * characters (`note`); the whole document is in `documents/` (SOURCES.md), stored with LF line
 * ends while the .NET test sent CRLF: it is restored when its CRLF form starts with the recorded
 * prefix and has the recorded length.
 */
export function sentBody(interaction: Interaction): unknown {
  const { body, note } = interaction.request;
  const cut = note &&
    /truncated to the first (\d+) of (\d+) characters/.exec(note);
  if (!cut) return body;
  const parsed = z.object({
    properties: z.looseObject({ value: z.string() }),
  }).loose().parse(body);
  const length = Number(cut[2]);
  for (const entry of Deno.readDirSync(documentsDir)) {
    const text = Deno.readTextFileSync(new URL(entry.name, documentsDir))
      .replaceAll("\r\n", "\n").replaceAll("\n", "\r\n");
    if (
      text.length === length && text.startsWith(parsed.properties.value)
    ) {
      return {
        ...parsed,
        properties: { ...parsed.properties, value: text },
      };
    }
  }
  throw new Error(
    `No document in ${documentsDir.pathname} restores ${interaction.source}`,
  );
}
