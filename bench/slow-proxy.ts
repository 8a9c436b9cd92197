import { createServer, connect, type Socket } from "node:net";

/** A TCP relay on 127.0.0.1 in front of a database server, whose answers can be delayed or held. */
export interface SlowProxy {
  /** `url` with its host and port replaced by the relay's. */
  route(url: string): string;
  /** Every chunk the server sends from now on reaches the client `ms` later (0: at once). */
  setDelay(ms: number): void;
  /** Holds every chunk the server sends until {@link resume}: a database that stopped answering. */
  hold(): void;
  /** Sends what was held (after the delay) and relays again. */
  resume(): void;
  close(): Promise<void>;
}

/**
 * Starts a relay to `target` (the server of a postgres:// URL). Only the server's answers are slowed, so every
 * round trip of every query (the health ping and the real ones alike) takes the delay longer. Chunks keep their
 * order: each is released no earlier than the one before it.
 */
export async function startSlowProxy(target: string): Promise<SlowProxy> {
  const { hostname, port } = new URL(target);
  let delayMs = 0;
  let held = false;
  const pipes = new Set<{ release(): void; destroy(): void }>();

  const server = createServer((client: Socket) => {
    const upstream = connect(Number(port || 5432), hostname);
    let lastDue = 0;
    let waiting: Buffer[] = [];
    const send = (chunk: Buffer) => {
      const due = Math.max(Date.now() + delayMs, lastDue);
      lastDue = due;
      setTimeout(() => {
        if (!client.destroyed) client.write(chunk);
      }, due - Date.now());
    };
    const pipe = {
      release() {
        const chunks = waiting;
        waiting = [];
        for (const chunk of chunks) send(chunk);
      },
      destroy() {
        client.destroy();
        upstream.destroy();
      },
    };
    pipes.add(pipe);
    upstream.on("data", (chunk: Buffer) => (held ? waiting.push(chunk) : send(chunk)));
    client.on("data", (chunk: Buffer) => upstream.write(chunk));
    const end = () => {
      pipes.delete(pipe);
      pipe.destroy();
    };
    for (const socket of [client, upstream]) {
      socket.on("close", end);
      socket.on("error", end);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the relay has no TCP address");
  return {
    route(url) {
      const routed = new URL(url);
      routed.hostname = "127.0.0.1";
      routed.port = String(address.port);
      return routed.toString();
    },
    setDelay(ms) {
      delayMs = ms;
    },
    hold() {
      held = true;
    },
    resume() {
      held = false;
      for (const pipe of pipes) pipe.release();
    },
    async close() {
      for (const pipe of pipes) pipe.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
