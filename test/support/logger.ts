import { Writable } from "node:stream";
import { createLogger, type Logger } from "../../src/logger.js";

/** A logger that drops everything (set TEST_LOG=debug to see the logs). */
export function silentLogger(): Logger {
  return createLogger({ level: process.env.TEST_LOG ?? "silent", secrets: [] });
}

/** A logger that keeps every serialized line, for assertions on what gets logged. */
export function capturingLogger(secrets: readonly string[] = []): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString());
      callback();
    },
  });
  return { logger: createLogger({ level: "debug", secrets, destination }), lines };
}
