import { integer, text } from "./fields.js";
import { group, setting } from "./group.js";

/** Address of the health and admin HTTP server. */
export const httpConfig = group({
  http: {
    host: setting("HTTP_HOST", text("127.0.0.1")),
    port: setting("HTTP_PORT", integer(8080, 0, 65535)),
  },
});
