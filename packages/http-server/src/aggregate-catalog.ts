// The aggregate's catalog: what the client sees of the named servers. Lists are
// merged with names prefixed `<server><separator>`, resource URIs kept unless two
// servers share one (then `<server>+<uri>`), and a prefixed name or a URI mapped
// back to its server. Kept apart from the session transport (aggregate.ts) so the
// naming rules live in one place, readable without the routing machinery.
import { JsonRpcErrorCodes, type Logger } from "@mcp-proxy/core";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { RequestId } from "@modelcontextprotocol/sdk/types.js";

/** Most pages read from one server for one list. */
const MAX_PAGES = 100;

/** The capabilities whose lists the aggregate merges (and announces changes of). */
export const LISTED = ["tools", "prompts", "resources"] as const;

export type Message = {
  id?: RequestId;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: unknown;
};
export type Waiter = (response: Message) => void;

/** One named server as one aggregate session holds it. */
export interface Member {
  name: string;
  transport: Transport;
  capabilities: Record<string, unknown>;
  instructions?: string;
  nextId: number;
  /** Our requests to this server, by the id we gave them. */
  waiting: Map<string, Waiter>;
  /** Which client request each of our ids forwards (to route the server's related messages). */
  forClient: Map<string, RequestId>;
  /** Resource URIs as this server knows them, by the URI the client saw (where they differ). */
  aliases: Map<string, string>;
  closed: boolean;
  /** Removed from the named servers: out of every list, new calls refused, routed ones finishing. */
  leaving: boolean;
}

/** How the catalog reaches the servers: the session transport's own calls. */
export interface CatalogSource {
  /** The live members (not leaving), those offering `capability` if given. */
  live(capability?: string): Member[];
  /** The members a name can still resolve to: live or leaving (whose calls get "not available"). */
  routable(): Member[];
  /** One request to one member, bounded by the member timeout. */
  call(member: Member, method: string, params: Record<string, unknown>): Promise<Message>;
}

export class AggregateCatalog {
  readonly #sep: string;
  readonly #logger: Logger;
  readonly #source: CatalogSource;
  /** Which server owns each resource URI the client saw (filled by resources/list). */
  readonly #uris = new Map<string, Member>();

  constructor(separator: string, logger: Logger, source: CatalogSource) {
    this.#sep = separator;
    this.#logger = logger;
    this.#source = source;
  }

  /** The union of the members' capabilities; every merged list may change (members leave). */
  static capabilities(members: readonly Member[]): Record<string, Record<string, unknown>> {
    const capabilities: Record<string, Record<string, unknown>> = {};
    for (const member of members) {
      for (const [key, value] of Object.entries(member.capabilities)) {
        if (typeof value !== "object" || value === null) continue;
        const merged: Record<string, unknown> = { ...capabilities[key] };
        for (const [k, v] of Object.entries(value)) merged[k] = merged[k] === true || v;
        capabilities[key] = merged;
      }
    }
    for (const key of LISTED) {
      if (capabilities[key]) capabilities[key] = { ...capabilities[key], listChanged: true };
    }
    return capabilities;
  }

  /** Every page of a list from every server offering `capability`, names prefixed. */
  async list(capability: string, method: string, key: string): Promise<Message> {
    const lists = await Promise.all(
      this.#source.live(capability).map(async (member) => {
        try {
          const items = await this.#listAll(member, method, key);
          return items.map((item) => ({ ...item, name: `${member.name}${this.#sep}${item.name}` }));
        } catch (error) {
          this.#leftOut(member, method, error);
          return [];
        }
      }),
    );
    return { result: { [key]: lists.flat() } };
  }

  /** Resources keep their URIs; one that two servers share is renamed `<server>+<uri>` for the later. */
  async listResources(): Promise<Message> {
    const members = this.#source.live("resources");
    const lists = await Promise.all(
      members.map((member) =>
        this.#listAll(member, "resources/list", "resources").catch((error: unknown) => {
          this.#leftOut(member, "resources/list", error);
          return [];
        }),
      ),
    );
    this.#uris.clear();
    const resources: Array<Record<string, unknown>> = [];
    members.forEach((member, i) => {
      member.aliases.clear();
      for (const item of lists[i] ?? []) {
        let uri = String(item.uri);
        if (this.#uris.has(uri)) {
          const alias = `${member.name}+${uri}`;
          member.aliases.set(alias, uri);
          uri = alias;
        }
        this.#uris.set(uri, member);
        resources.push({ ...item, uri });
      }
    });
    return { result: { resources } };
  }

  /** The server a prefixed name belongs to (the longest matching server name) and the rest. */
  byName(name: unknown): { member: Member; name: string } | undefined {
    if (typeof name !== "string") return undefined;
    let best: Member | undefined;
    for (const member of this.#source.routable()) {
      if (
        name.startsWith(`${member.name}${this.#sep}`) &&
        (!best || member.name.length > best.name.length)
      )
        best = member;
    }
    return best
      ? { member: best, name: name.slice(best.name.length + this.#sep.length) }
      : undefined;
  }

  /** The server of a resource URI: the one that listed it, else the longest template prefix. */
  async byUri(uri: unknown): Promise<{ member: Member; uri: string } | undefined> {
    if (typeof uri !== "string") return undefined;
    const owner = this.#uris.get(uri);
    if (owner && !owner.closed) return { member: owner, uri: owner.aliases.get(uri) ?? uri };
    let best: { member: Member; length: number } | undefined;
    for (const member of this.#source.live("resources")) {
      const templates = await this.#listAll(
        member,
        "resources/templates/list",
        "resourceTemplates",
      ).catch(() => []);
      for (const t of templates) {
        const fixed = String(t.uriTemplate).split("{")[0] ?? "";
        if (uri.startsWith(fixed) && (!best || fixed.length > best.length))
          best = { member, length: fixed.length };
      }
    }
    if (best) return { member: best.member, uri };
    const only = this.#source.live("resources");
    return only.length === 1 && only[0] ? { member: only[0], uri } : undefined;
  }

  /** The URI the client saw for a server's own `uri` (its alias where it was renamed). */
  clientUri(member: Member, uri: string): string {
    for (const [alias, own] of member.aliases) if (own === uri) return alias;
    return uri;
  }

  async #listAll(
    member: Member,
    method: string,
    key: string,
  ): Promise<Array<Record<string, unknown>>> {
    const items: Array<Record<string, unknown>> = [];
    let cursor: unknown;
    for (let page = 0; page < MAX_PAGES; page++) {
      const response = await this.#source.call(
        member,
        method,
        cursor === undefined ? {} : { cursor },
      );
      if (response.error !== undefined) throw new Error(errorText(response.error));
      const result = response.result ?? {};
      items.push(...((result[key] as Array<Record<string, unknown>>) ?? []));
      cursor = result.nextCursor;
      if (typeof cursor !== "string") break;
    }
    return items;
  }

  #leftOut(member: Member, method: string, error: unknown): void {
    this.#logger.warn(`aggregate: server "${member.name}" left out of ${method}`, {
      reason: error instanceof Error ? error.message : String(error),
    });
  }
}

export const closedError = (member: Member): Message => ({
  error: {
    code: JsonRpcErrorCodes.CONNECTION_CLOSED,
    message: `server "${member.name}" is not available`,
  },
});

export const methodNotFound = (method: string): Message => ({
  error: { code: -32601, message: `Method not found: ${method}` },
});

export const invalidParams = (message: string): Message => ({ error: { code: -32602, message } });

export function errorText(error: unknown): string {
  const e = error as { message?: unknown };
  return typeof e?.message === "string" ? e.message : JSON.stringify(error);
}
