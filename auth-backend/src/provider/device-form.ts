/**
 * The device flow's forms, on their way to oidc-provider's code verification endpoint: the
 * contract names the fields `userCode` and `decision` (allow | deny); the library reads
 * `user_code`, `confirm` and `abort`. Each submission counts per client IP like a login (a user
 * code is a short secret): past the limit a 429 page, and the library never sees it.
 */
import type { RequestHandler } from 'express';
import { AppError } from '../errors';
import type { LoginThrottle } from '../throttle/login-throttle';
import { formBody, formField } from '../web/form-body';
import { sendPage } from '../web/page-headers';
import { renderPage } from '../web/layout';
import type { Assets } from '../web/assets';
import { PROVIDER_ROUTES } from './provider-configuration';
import { MessagePage } from './pages/message-page';

export function deviceForm(throttle: LoginThrottle, assets: Assets): RequestHandler {
  return (req, res, next) => {
    if (req.method !== 'POST' || req.path !== PROVIDER_ROUTES.code_verification) return next();
    formBody(req, res, (error?: unknown) => {
      if (error) return next(error);
      const decision = formField(req.body, 'decision');
      const userCode = formField(req.body, 'userCode') ?? formField(req.body, 'user_code');
      req.body = {
        ...(formField(req.body, 'xsrf') !== undefined ? { xsrf: formField(req.body, 'xsrf') } : {}),
        ...(userCode !== undefined ? { user_code: userCode } : {}),
        ...(decision === 'allow' ? { confirm: 'yes' } : decision === 'deny' ? { abort: 'yes' } : {}),
      };
      throttle.consumeIp('login', req.ip ?? 'unknown').then(
        () => next(),
        (refusal: unknown) => {
          if (!(refusal instanceof AppError) || refusal.code !== 'throttled') return next(refusal);
          res.setHeader('Retry-After', String(refusal.extras.retryAfterSeconds ?? 60));
          const page = MessagePage({ stylesheet: assets.stylesheetHref, title: 'Too many attempts', message: refusal.detail, error: true });
          sendPage(res, 429, renderPage(page));
        },
      );
    });
  };
}
