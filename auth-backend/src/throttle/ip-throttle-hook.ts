import type { EndpointContext } from '../http/endpoint';
import { rateLimitHeaders, type RateLimitState } from './window-limit';

/** Any throttle that counts requests per client IP and action (login's, mail's). */
export interface IpThrottle<Action> {
  consumeIp(action: Action, ip: string): Promise<RateLimitState>;
}

/**
 * An endpoint's `before` hook that counts the request against the client IP's limit for `action`
 * and sets the RateLimit headers; past the limit the throttle throws its 429.
 */
export const ipLimitHook =
  <Action>(throttle: IpThrottle<Action>) =>
  (action: Action) =>
  async ({ req, res }: EndpointContext<unknown>): Promise<void> => {
    res.set(rateLimitHeaders(await throttle.consumeIp(action, req.ip ?? 'unknown')));
  };
