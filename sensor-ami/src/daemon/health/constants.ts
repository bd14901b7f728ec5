// Where the daemon answers health checks: `spanless sensor` listens here, `spanless health` and the
// NLB target group's health check ask here.

/** The health port when none is configured: `GET /healthcheck` (the NLB) and `GET /status` (`spanless health`). */
export const DEFAULT_HEALTH_PORT = 8080;

/** The address `spanless health` asks by default (the daemon on this host). */
export const DEFAULT_HEALTH_HOST = "127.0.0.1";
