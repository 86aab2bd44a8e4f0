/** Input errors that name the field (the HTTP layer turns them into 400/404/409 problems). */
export class AgentInputError extends Error {
  constructor(
    readonly status: number,
    readonly field: string,
    detail: string,
  ) {
    super(`${field}: ${detail}`);
    this.name = 'AgentInputError';
  }
}
