import { fileURLToPath } from 'node:url';

/** The built personal dashboard (index.html and assets/), for the agent server to serve at `/`. */
export const agentDashboardDir = fileURLToPath(new URL('./dist/agent/', import.meta.url));
/** The built agent desktop (index.html and assets/), for the CRM server to serve at `/desktop/`. */
export const crmDesktopDir = fileURLToPath(new URL('./dist/desktop/', import.meta.url));
