import { fileURLToPath } from 'node:url';

/** The built personal dashboard (index.html and assets/), for the agent server to serve at `/`. */
export const agentDashboardDir = fileURLToPath(new URL('./dist/agent/', import.meta.url));
