/**
 * The composition root: builds every table module and service once, the endpoints that expose
 * them, and the lifecycle of the long-lived workers. Nothing here does work: createApp mounts the
 * endpoints, and the entrypoint (or a test) runs lifecycle.start() before serving.
 */
import type { Config } from './config/config';
import type { Database } from './db/database';
import type { Clock } from './clock';
import type { AnyEndpoint } from './http/endpoint';
import type { Readiness } from './health/readiness';
import type { Logger } from './logger';
import pino from 'pino';
import { Lifecycle } from './lifecycle';
import { UsersTable } from './tables/users';
import { SessionsTable } from './tables/sessions';
import { EmailTokensTable } from './tables/email-tokens';
import { MailOutboxTable } from './tables/mail-outbox';
import { LoginFailuresTable } from './tables/login-failures';
import { MfaFactorsTable } from './tables/mfa-factors';
import { RecoveryCodesTable } from './tables/recovery-codes';
import { MfaChallengesTable } from './tables/mfa-challenges';
import { totpSecretEnvelope } from './crypto/key-encryption';
import { MfaService } from './mfa/mfa-service';
import { MfaStep } from './mfa/mfa-step';
import { MfaVerification } from './mfa/mfa-verification';
import { SecondFactorCodes } from './mfa/second-factor-codes';
import { mfaEndpoints } from './mfa/mfa-endpoints';
import { WindowLimits } from './throttle/window-limit';
import { ACCOUNT_FAILURE_LIMITS, LoginThrottle } from './throttle/login-throttle';
import { MailThrottle } from './throttle/mail-throttle';
import { healthEndpoints } from './health/health-endpoints';
import { authEndpoints } from './auth/auth-endpoints';
import { AuthService } from './auth/auth-service';
import { Authenticator } from './auth/authenticator';
import { PasswordConfirmation } from './auth/password-confirmation';
import { PasswordHasher } from './passwords/password-hasher';
import { AccessTokens } from './tokens/access-tokens';
import { SignInPipeline } from './sign-in/sign-in-pipeline';
import { SessionService } from './sessions/session-service';
import { PasswordPolicy } from './passwords/password-policy';
import { BreachedPasswords } from './passwords/breached-passwords';
import { normalizingHasher } from './passwords/password-normalization';
import { MailTemplates } from './mail/templates';
import { MailDeliveryWorker } from './mail/delivery-worker';
import { createMailTransport } from './mail/transport';
import { RecoveryService } from './account/recovery-service';
import { recoveryEndpoints } from './account/recovery-endpoints';
import { tokenKeys } from './keys/key-setup';
import type { KeyRing } from './keys/key-ring';
import { jwksEndpoints } from './keys/jwks-endpoints';
import { sessionEndpoints } from './sessions/session-endpoints';
import { IdentitiesTable } from './tables/identities';
import { OidcStatesTable } from './tables/oidc-states';
import { OidcExchangeCodesTable } from './tables/oidc-exchange-codes';
import { ProviderRegistry } from './oidc/provider-registry';
import { AccountResolution } from './oidc/account-resolution';
import { OidcSignIn } from './oidc/oidc-sign-in';
import { IdentitiesService } from './oidc/identities-service';
import { oidcEndpoints } from './oidc/oidc-endpoints';
import { AuditEventsTable } from './tables/audit-events';
import { AuditRetention } from './audit/audit-retention';
import { AuditLog } from './audit/audit-log';
import { AccountDeletion } from './account/account-deletion';
import { UnprovedAccount } from './account/unproved-account';
import { AddressDigests } from './crypto/address-digest';
import { deletionEndpoints } from './account/deletion-endpoints';
import { AdminService } from './admin/admin-service';
import { Cursors } from './admin/cursor';
import { adminEndpoints } from './admin/admin-endpoints';
import { Metrics } from './metrics/metrics';
import { composeProvider, type ProviderModule } from './provider/provider-module';
import type { RequestHandler } from 'express';
import { MetricsServer } from './metrics/metrics-server';
import { PasskeysTable } from './tables/passkeys';
import { PasskeyChallengesTable } from './tables/passkey-challenges';
import { composePasskeys, passkeyHooks, type Passkeys } from './passkeys/passkeys-module';
import type { SignInMethods } from './account/sign-in-methods';
import { composeConsole } from './console/console-module';
import { WebhooksTable } from './tables/webhooks';
import { WebhookDeliveriesTable } from './tables/webhook-deliveries';
import { composeWebhooks, type Webhooks } from './webhooks/webhooks-module';
import { KnownDevicesTable } from './tables/known-devices';
import { SecurityNotices } from './notifications/security-notices';

const silentLogger = pino({ level: 'silent' });

export interface CompositionDeps {
  config: Config;
  db: Database;
  clock: Clock;
  checkReadiness: () => Promise<Readiness>;
  /** For workers' own lines (the signing-key refresher, mail delivery); silent when absent. */
  logger?: Logger;
}

/** The table modules: each owns every statement on its table (docs/architecture.md). */
export interface Tables {
  users: UsersTable;
  sessions: SessionsTable;
  emailTokens: EmailTokensTable;
  outbox: MailOutboxTable;
  loginFailures: LoginFailuresTable;
  identities: IdentitiesTable;
  oidcStates: OidcStatesTable;
  oidcExchangeCodes: OidcExchangeCodesTable;
  mfaFactors: MfaFactorsTable;
  recoveryCodes: RecoveryCodesTable;
  mfaChallenges: MfaChallengesTable;
  auditEvents: AuditEventsTable;
  passkeys: PasskeysTable;
  passkeyChallenges: PasskeyChallengesTable;
  webhooks: WebhooksTable;
  webhookDeliveries: WebhookDeliveriesTable;
  knownDevices: KnownDevicesTable;
}

/** Every service of the process, built once. */
export interface Services {
  tables: Tables;
  /** Records events; webhooks and notifications subscribe to it. */
  audit: AuditLog;
  /** The rate_limit counters (and their pruning worker). */
  windows: WindowLimits;
  hasher: PasswordHasher;
  policy: PasswordPolicy;
  tokens: AccessTokens;
  throttle: LoginThrottle;
  /** The one end of every sign-in. */
  pipeline: SignInPipeline;
  /** Bearer tokens -> the caller. */
  authenticator: Authenticator;
  /** The password door (register, login, password change). */
  auth: AuthService;
  sessions: SessionService;
  mailThrottle: MailThrottle;
  recovery: RecoveryService;
  /** The second factor: enrolment (service), the pipeline's step, passing it (verification). */
  mfa: MfaService;
  mfaVerification: MfaVerification;
  mailDelivery: MailDeliveryWorker;
  /** The asymmetric signing keys (v4: in every mode; with HS256 the JSON API's access tokens use JWT_SECRET). */
  keyRing: KeyRing;
  /** Sign in with an OpenID Connect provider. */
  oidc: { registry: ProviderRegistry; signIn: OidcSignIn; identities: IdentitiesService };
  deletion: AccountDeletion;
  admin: AdminService;
  auditRetention: AuditRetention;
  /** undefined when metrics are off (METRICS_PORT=). */
  metrics: Metrics | undefined;
  metricsServer: MetricsServer | undefined;
  /** The service as an OpenID Provider (provider/). */
  provider: ProviderModule;
  /** Passkeys: management, the username-less sign-in door, the second factor. */
  passkeys: Passkeys;
  /** Webhooks: the administrators' service (admin API and console) and the delivery worker. */
  webhooks: Webhooks;
}

export interface Composition {
  services: Services;
  endpoints: AnyEndpoint[];
  /** Server-rendered pages, their assets and the OpenID Provider: mounted before the JSON body parser. */
  routers: RequestHandler[];
  lifecycle: Lifecycle;
}

function buildTables(config: Config, db: Database, clock: Clock): Tables {
  return {
    users: new UsersTable(db.pool),
    sessions: new SessionsTable(db.pool, config.refresh, clock),
    emailTokens: new EmailTokensTable(db.pool),
    outbox: new MailOutboxTable(db.pool),
    loginFailures: new LoginFailuresTable(db.pool, {
      freeFailures: config.throttle.accountFreeFailures,
      maxDelaySeconds: config.throttle.accountMaxDelay,
      ...ACCOUNT_FAILURE_LIMITS,
    }),
    identities: new IdentitiesTable(db.pool),
    oidcStates: new OidcStatesTable(db.pool, clock),
    oidcExchangeCodes: new OidcExchangeCodesTable(db.pool, clock),
    mfaFactors: new MfaFactorsTable(db.pool),
    recoveryCodes: new RecoveryCodesTable(db.pool),
    mfaChallenges: new MfaChallengesTable(db.pool, clock),
    auditEvents: new AuditEventsTable(db.pool, clock),
    passkeys: new PasskeysTable(db.pool, clock),
    passkeyChallenges: new PasskeyChallengesTable(db.pool, clock),
    webhooks: new WebhooksTable(db.pool),
    webhookDeliveries: new WebhookDeliveriesTable(db.pool),
    knownDevices: new KnownDevicesTable(db.pool),
  };
}

export function compose({ config, db, clock, checkReadiness, logger = silentLogger }: CompositionDeps): Composition {
  const tables = buildTables(config, db, clock);
  const { users, sessions } = tables;
  const passkeyHook = passkeyHooks(tables.passkeys);
  const unproved = new UnprovedAccount({ ...tables, alsoRemove: [passkeyHook.removeOfUser] });
  // Every event through the log: what reacts to events (webhooks, notifications) subscribes to it.
  const audit = new AuditLog(tables.auditEvents);
  const { transaction } = db;
  const hasher = new PasswordHasher(config.password.pepper, config.password.bcryptCost, config.password.hashConcurrency);
  // Every password is hashed and verified in its normalised form, wherever it comes from (register, login, change, reset).
  const passwords = normalizingHasher(hasher);
  // The breach check's errors are counted once metrics exist (they are built below; the check runs only when serving).
  const breached = new BreachedPasswords(config.breachCheck, logger, () => metrics?.breachCheckError());
  const policy = new PasswordPolicy(config.password.minLength, breached);
  const { keys, ring: keyRing } = tokenKeys(config, db.pool, clock, logger);
  const tokens = new AccessTokens({ issuer: config.jwt.issuer, audience: config.jwt.audience, ttlSeconds: config.jwt.accessTokenTtl }, keys);
  const windows = new WindowLimits(db.pool);
  // Throttle keys and log references of addresses, keyed so that nobody can confirm a guessed address offline.
  const digests = new AddressDigests(config.keys.encryptionKey);
  const { mail } = config;
  const templates = new MailTemplates(mail);
  // Security notifications: SQL reactions to events, and the throttle's daily cap.
  const notices = new SecurityNotices({ ...tables, templates, clock, newSignIn: config.notifications.newSignIn });
  notices.reactTo(audit);
  const throttle = new LoginThrottle(windows, tables.loginFailures, config.throttle, digests, (email) => notices.dailyCapReached(email));
  const confirmation = new PasswordConfirmation({ hasher: passwords, throttle });
  // Mail: the outbox's delivery worker, and the recovery/verification use cases that fill the outbox.
  const mailDelivery = new MailDeliveryWorker({
    outbox: tables.outbox,
    listenConnection: db.dedicatedClient,
    transport: createMailTransport(config),
    logger,
    clock,
    policy: mail,
  });
  const mailThrottle = new MailThrottle(windows, mail.throttle, digests);
  const recovery = new RecoveryService({
    ...tables,
    audit,
    unproved,
    transaction,
    hasher: passwords,
    policy,
    loginThrottle: throttle,
    digests,
    confirmation,
    mailThrottle,
    templates,
    clock,
    ttl: { passwordReset: mail.passwordResetTtl, emailVerification: mail.emailVerificationTtl },
  });
  const { pool } = db;
  const metrics =
    config.metrics.port === undefined
      ? undefined
      : new Metrics({
          clock,
          outbox: () => tables.outbox.pendingDepth(),
          hashingQueueDepth: () => hasher.queueDepth,
          pool: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
          signingKeyActivatedAt: () => keyRing.signingKeyActivatedAt(),
          webhooks: () => tables.webhookDeliveries.pendingDepth(),
        });
  const countLogin = metrics && ((outcome: Parameters<Metrics['loginAttempt']>[0]) => metrics.loginAttempt(outcome));
  // The second factor: the codes, the pipeline's step that asks for it, and passing it.
  // Its own key, derived from KEY_ENCRYPTION_KEY for this purpose only (crypto/key-encryption.ts).
  const secrets = totpSecretEnvelope(config.keys);
  const codes = new SecondFactorCodes({ mfaFactors: tables.mfaFactors, recoveryCodes: tables.recoveryCodes, secrets, clock });
  const pipeline = new SignInPipeline({
    transaction,
    users,
    sessions,
    audit,
    secondFactor: new MfaStep({ mfaChallenges: tables.mfaChallenges, extraMethods: passkeyHook.secondFactorMethods }),
    tokens,
    requireVerifiedEmail: mail.requireVerifiedEmail,
    onOutcome: countLogin,
  });
  const auth = new AuthService({
    users,
    sessions,
    transaction,
    hasher: passwords,
    throttle,
    digests,
    policy,
    confirmation,
    onRegistered: (user, log) => recovery.sendVerification(user, log),
    audit,
    onLoginAttempt: countLogin,
  });
  const sessionService = new SessionService({ transaction, sessions, audit, tokens });
  const passkeys = composePasskeys({ webauthn: config.webauthn, keys: config.keys, tables, transaction, audit, templates, clock, throttle });
  const oidc = composeOidc(config, tables, { audit, unproved, transaction, digests, methods: passkeys.methods }, clock, logger);
  const mfa = new MfaService({ ...tables, audit, transaction, codes, secrets, throttle, templates, clock, issuer: mail.productName });
  const mfaVerification = new MfaVerification({ mfaChallenges: tables.mfaChallenges, audit, codes, throttle, passkeys: passkeys.secondFactor });
  const deletion = new AccountDeletion({
    transaction,
    users,
    outbox: tables.outbox,
    emailTokens: tables.emailTokens,
    audit,
    auditEvents: tables.auditEvents,
    webhookDeliveries: tables.webhookDeliveries,
    confirmation,
    confirmsSecondFactor: (user, code) => mfa.confirmsIdentity(user, code),
  });
  const cursors = new Cursors(config.keys.encryptionKey);
  const webhooks = composeWebhooks({
    tables,
    config: config.webhooks,
    keys: config.keys,
    db,
    audit,
    cursors,
    clock,
    logger,
    onOutcome: metrics && ((outcome) => metrics.webhookDelivery(outcome)),
  });
  const admin = new AdminService({
    transaction,
    users,
    sessions,
    audit,
    auditEvents: tables.auditEvents,
    deletion,
    cursors,
    resetSecondFactor: (userId, actorId, meta) => mfa.resetByAdmin(userId, actorId, meta),
    requireMfa: config.admin.requireMfa,
  });
  const auditRetention = new AuditRetention(tables.auditEvents, config.audit, clock, logger);
  const metricsServer =
    metrics && config.metrics.port !== undefined ? new MetricsServer(metrics, { port: config.metrics.port, host: config.metrics.host }, logger) : undefined;
  const lifecycle = new Lifecycle(logger);
  // Hashing threads: started first, so stopped last (after every worker that might hash).
  lifecycle.add(hasher);
  lifecycle.add(policy);
  lifecycle.add(windows);
  lifecycle.add(keyRing);
  lifecycle.add(mailDelivery);
  lifecycle.add(webhooks.worker);
  lifecycle.add(oidc.registry);
  lifecycle.add(auditRetention);
  if (metricsServer) lifecycle.add(metricsServer);
  const provider = composeProvider({
    config,
    db,
    clock,
    logger,
    users,
    sessions,
    audit,
    ring: keyRing,
    auth,
    mfaVerification,
    oidc,
    passkeys: passkeys.signIn,
    pipeline,
    throttle,
    admin,
  });
  for (const worker of provider.workers) lifecycle.add(worker);
  // The admin console: a first-party client of the provider above (its client is made at start-up).
  const adminConsole = composeConsole({ config, logger, sessions, admin, provider, webhooks: webhooks.service });
  for (const worker of adminConsole.workers) lifecycle.add(worker);
  return {
    services: {
      tables,
      audit,
      windows,
      hasher,
      policy,
      tokens,
      throttle,
      pipeline,
      authenticator: new Authenticator({ tokens, sessions }),
      auth,
      sessions: sessionService,
      mailThrottle,
      recovery,
      mfa,
      mfaVerification,
      mailDelivery,
      keyRing,
      oidc,
      deletion,
      admin,
      auditRetention,
      metrics,
      metricsServer,
      provider,
      passkeys,
      webhooks,
    },
    routers: [...provider.routers, adminConsole.router],
    endpoints: [
      ...healthEndpoints(checkReadiness),
      ...authEndpoints(auth, pipeline, throttle),
      ...sessionEndpoints(sessionService),
      ...recoveryEndpoints(recovery, mailThrottle),
      ...mfaEndpoints(mfa, mfaVerification, pipeline),
      ...deletionEndpoints(deletion),
      ...adminEndpoints(admin),
      ...jwksEndpoints(keyRing, config.keys.jwksMaxAge),
      ...oidcEndpoints({ ...oidc, pipeline, throttle, publicUrl: config.oidc.publicUrl }),
      ...provider.endpoints,
      ...passkeys.endpoints(pipeline),
      ...webhooks.endpoints((auth) => admin.requireAdmin(auth)),
    ],
    lifecycle,
  };
}

function composeOidc(
  config: Config,
  tables: Tables,
  {
    audit,
    unproved,
    transaction,
    digests,
    methods,
  }: { audit: AuditLog; unproved: UnprovedAccount; transaction: Database['transaction']; digests: AddressDigests; methods: SignInMethods },
  clock: Clock,
  logger: Logger,
): Services['oidc'] {
  const { users, identities } = tables;
  const registry = new ProviderRegistry(config.oidc.providers, logger);
  const accounts = new AccountResolution({ transaction, users, identities, unproved, audit, clock });
  const signIn = new OidcSignIn({
    registry,
    states: tables.oidcStates,
    exchangeCodes: tables.oidcExchangeCodes,
    users,
    transaction,
    accounts,
    digests,
    publicUrl: config.oidc.publicUrl,
    // The service's own origin too: the provider's hosted sign-in page comes back to itself.
    redirectOrigins: [...config.oidc.redirectOrigins, new URL(config.oidc.publicUrl).origin],
  });
  return { registry, signIn, identities: new IdentitiesService({ transaction, identities, methods }) };
}
