// Written at build time by vite.desktop.config.ts from @parley/protocol's ROSTER (which the browser cannot import).
declare module 'virtual:parley-roster' {
  const roster: readonly import('./types').RosterEntry[];
  export default roster;
}
