import { z } from "zod";
import { integer, text } from "./fields.js";

/** Address of the health and admin HTTP server: `config.http`. */
export const httpConfig = z
  .object({
    HTTP_HOST: text("127.0.0.1"),
    HTTP_PORT: integer(8080, 0, 65535),
  })
  .transform((env) => ({
    http: { host: env.HTTP_HOST, port: env.HTTP_PORT },
  }));
