import { Api, Context } from "grammy";
import type { Update, UserFromGetMe } from "grammy/types";
import { describe, expect, it } from "vitest";
import { actorOf } from "../../src/bot/filters/actor.js";
import { ANONYMOUS_ADMIN_BOT_ID } from "../../src/config.js";

const me = { id: 1, is_bot: true, first_name: "Bot", username: "bot" } as UserFromGetMe;
const group = { id: -1_001, type: "supergroup" as const, title: "Admins" };
const admin = { id: 42, is_bot: false, first_name: "Ada" };
const placeholder = { id: ANONYMOUS_ADMIN_BOT_ID, is_bot: true, first_name: "Group", username: "GroupAnonymousBot" };
const contextOf = (update: Update) => new Context(update, new Api("0:test"), me);

describe("actorOf", () => {
  it("is the sender's user id for a message from a person", () => {
    const ctx = contextOf({ update_id: 1, message: { message_id: 1, date: 0, chat: group, from: admin, text: "/pause" } });
    expect(actorOf(ctx)).toBe(42);
  });

  it("is null for an anonymous admin, whose message is sent as the chat by a placeholder bot", () => {
    const ctx = contextOf({
      update_id: 1,
      message: { message_id: 1, date: 0, chat: group, from: placeholder, sender_chat: group, text: "/pause" },
    });
    expect(actorOf(ctx)).toBeNull();
  });

  it("is the presser for a button press", () => {
    const message = { message_id: 5, date: 0, chat: group, from: me, text: "card" };
    const ctx = contextOf({
      update_id: 1,
      callback_query: { id: "q", from: admin, chat_instance: "c", data: "x", message },
    });
    expect(actorOf(ctx)).toBe(42);
  });

  it("is the presser for a button press on a card in a channel, which carries the channel as sender_chat", () => {
    const channel = { id: -1_002, type: "channel" as const, title: "Cards" };
    const message = { message_id: 5, date: 0, chat: channel, sender_chat: channel, text: "card" };
    const ctx = contextOf({
      update_id: 1,
      callback_query: { id: "q", from: admin, chat_instance: "c", data: "x", message },
    });
    expect(actorOf(ctx)).toBe(42);
  });

  it("is the user for an update without a message (an inline query)", () => {
    const ctx = contextOf({ update_id: 1, inline_query: { id: "iq", from: admin, query: "x", offset: "" } });
    expect(actorOf(ctx)).toBe(42);
  });

  it("is null when the update names nobody", () => {
    const ctx = contextOf({ update_id: 1, channel_post: { message_id: 1, date: 0, chat: { id: -5, type: "channel", title: "c" } } });
    expect(actorOf(ctx)).toBeNull();
  });
});
