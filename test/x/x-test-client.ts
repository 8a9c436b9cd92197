import { createXAccountClient } from "../../src/x/twitter-client.js";
import type { XAccountClient } from "../../src/x/types.js";
import type { FakeX } from "../support/fake-x/index.js";

/** Credentials the secrecy tests look for in error messages. */
export const TEST_APP_SECRET = "app-secret-DO-NOT-LEAK";
/** Access secret of every test client. */
export const TEST_ACCESS_SECRET = "access-secret-DO-NOT-LEAK";

/** The production X client pointed at the fake, authenticated by `accessToken`. */
export function xClientFor(fake: Pick<FakeX, "baseUrl">, accessToken: string, options: { requestTimeoutMs?: number } = {}): XAccountClient {
  return createXAccountClient({
    apiRoot: fake.baseUrl,
    credentials: { appKey: "test-app-key", appSecret: TEST_APP_SECRET, accessToken, accessSecret: TEST_ACCESS_SECRET },
    requestTimeoutMs: options.requestTimeoutMs ?? 2_000,
  });
}

/** The rejection of `promise` (fails the test when it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the promise to reject");
}
