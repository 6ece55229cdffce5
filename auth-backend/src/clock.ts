/** The current time; injected so that tests can move it (token expiry, idle timeouts). */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();
