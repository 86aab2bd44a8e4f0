/** The built personal dashboard (index.html and assets/), for the agent server to serve at `/`. */
export declare const agentDashboardDir: string;
/** The built agent desktop (index.html and assets/), for the CRM server to serve at `/desktop/`. */
export declare const crmDesktopDir: string;
