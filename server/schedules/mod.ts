/**
 * Cron schedules: the API's service and the scheduler that fires their
 * ticks, once across every supervisor of a store.
 *
 * @module
 */

export * from "./cron.ts";
export * from "./schedule_service.ts";
export * from "./scheduler.ts";
