/** The built personal dashboard (index.html and assets/), for the agent server to serve at `/`. */
export declare const agentDashboardDir: string;
