/**
 * Which channels an alert goes out on, in which order: the forced channels of a reprocessed alert,
 * else its level's rule (admin-set or default) over the enabled channels, by the rule's strategy.
 */
import type { Database } from "../db/database.js";
import { channelBreakerState, earliestReopen, loadChannelHealth, type HealthMap } from "./channel-health.js";
import type { AlertRecord } from "./records.js";
import { channelsToTry, defaultRule } from "./rules.js";
import type { AlertState } from "./state.js";
import { ALERT_LEVELS, isAlertChannel, type AlertChannel, type AlertLevel, type ChannelRule } from "./types.js";

/** Rules, enabled channels and channel health, as read at the start of a run. */
export interface Routing {
  readonly rules: Record<AlertLevel, ChannelRule & { readonly custom: boolean }>;
  readonly enabled: readonly AlertChannel[];
  readonly health: HealthMap;
}

/** The channels to try, or (health based, every usable channel's breaker open) when to look again. */
export type ChannelChoice = { readonly channels: AlertChannel[] } | { readonly allOpenUntil: number; readonly channels: [] };

/** Loads routings and picks an alert's channels; round robin's turn per level lives here. */
export interface Router {
  load(): Promise<Routing>;
  choose(alert: AlertRecord, level: AlertLevel, routing: Routing, at: number): ChannelChoice;
}

/** A {@link Router} over the configured channels. */
export function createRouter(deps: { db: Database; state: AlertState; configured: readonly AlertChannel[] }): Router {
  const { configured } = deps;
  const rotation = new Map<AlertLevel, number>();
  return {
    async load() {
      const custom = await deps.state.customRules();
      const rules = Object.fromEntries(
        ALERT_LEVELS.map((level) => {
          const rule = custom[level];
          return [level, rule ? { ...rule, custom: true } : { ...defaultRule(configured), custom: false }];
        }),
      ) as Routing["rules"];
      const enabled = ((await deps.state.enabledChannels()) ?? configured).filter((channel) => configured.includes(channel));
      return { rules, enabled, health: await loadChannelHealth(deps.db, configured) };
    },

    choose(alert, level, routing, at) {
      const forced = alert.forcedChannels?.filter(isAlertChannel);
      if (forced && forced.length > 0) return { channels: forced.filter((channel) => configured.includes(channel)) };
      const rule = routing.rules[level];
      const turn = rotation.get(level) ?? 0;
      rotation.set(level, turn + 1);
      const usable = (channel: AlertChannel) => routing.enabled.includes(channel);
      const isOpen = (channel: AlertChannel) => channelBreakerState(routing.health.get(channel), at) === "open";
      const channels = channelsToTry(rule, { usable, rotation: turn, isOpen });
      if (rule.strategy === "health_based" && channels.length === 0) {
        // Every usable channel's breaker is open: wait for the first to let a probe through (not a failed round).
        const open = channelsToTry({ ...rule, strategy: "priority_order" }, { usable, rotation: 0, isOpen });
        if (open.length > 0) return { allOpenUntil: earliestReopen(routing.health, open), channels: [] };
      }
      return { channels };
    },
  };
}
